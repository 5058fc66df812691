"""Every provider failure the issue names, through the real worker and the fake providers' wire
formats: the job's code, whether it is retried (and after what), the user's message (ours), and the
operator's log line (provider host and the class of failure)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import pytest

from cv_jobs.errors import USER_MESSAGES, JobErrorCode
from cv_jobs.worker import handler as worker_handler
from tests.unit.conftest import CANARY_OPENAI_KEY, Aws, Logs, Providers
from tests.unit.events import worker_context
from tests.unit.worker_support import GEMINI_BYOK, OPENAI_BYOK, deliver, job, sqs_record, submit

Script = Callable[[Providers], None]


def openai_completion(message: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def google_error(status: int, name: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {
        "error": {"code": status, "message": "fake Google error", "status": name, "details": list(details)}
    }


def quota_failure(quota_id: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": quota_id,
            }
        ],
    }


RETRY_INFO_37S = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
KEY_INVALID = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
}

# (id, provider, script, code, retried, minimum retry delay in seconds)
CASES: list[tuple[str, str, Script, str, bool, float]] = [
    ("openai-401", "openai", lambda p: p.openai.reject_key(CANARY_OPENAI_KEY), "invalid_api_key", False, 0),
    ("openai-403", "openai", lambda p: p.openai.fail_next(403), "invalid_api_key", False, 0),
    ("openai-404-model", "openai", lambda p: p.openai.fail_next(404), "model_not_found", False, 0),
    (
        "openai-429-rate",
        "openai",
        lambda p: p.openai.fail_next(429, headers={"retry-after-ms": "12500"}),
        "rate_limited",
        True,
        12.5,
    ),
    (
        "openai-429-retry-after",
        "openai",
        lambda p: p.openai.fail_next(429, headers={"retry-after": "30"}),
        "rate_limited",
        True,
        30,
    ),
    (
        "openai-429-quota",
        "openai",
        lambda p: p.openai.fail_next(
            429, {"error": {"message": "x", "type": "insufficient_quota", "code": "insufficient_quota"}}
        ),
        "insufficient_quota",
        False,
        0,
    ),
    ("openai-500", "openai", lambda p: p.openai.fail_next(500), "provider_unavailable", True, 0),
    ("openai-503", "openai", lambda p: p.openai.fail_next(503), "provider_unavailable", True, 0),
    (
        "openai-length",
        "openai",
        lambda p: p.openai.reply_next("{}", finish_reason="length"),
        "output_truncated",
        False,
        0,
    ),
    (
        "openai-content-filter",
        "openai",
        lambda p: p.openai.reply_next("{}", finish_reason="content_filter"),
        "content_blocked",
        False,
        0,
    ),
    (
        "openai-refusal",
        "openai",
        lambda p: p.openai.fail_next(
            200, openai_completion({"content": None, "refusal": "I can't help with that."})
        ),
        "content_blocked",
        False,
        0,
    ),
    (
        "gemini-400-key-invalid",
        "gemini",
        lambda p: p.gemini.fail_next(400, google_error(400, "INVALID_ARGUMENT", KEY_INVALID)),
        "invalid_api_key",
        False,
        0,
    ),
    (
        "gemini-400-failed-precondition",
        "gemini",
        lambda p: p.gemini.fail_next(400, google_error(400, "FAILED_PRECONDITION")),
        "provider_rejected_request",
        False,
        0,
    ),
    (
        "gemini-403",
        "gemini",
        lambda p: p.gemini.fail_next(403, google_error(403, "PERMISSION_DENIED")),
        "invalid_api_key",
        False,
        0,
    ),
    (
        "gemini-404",
        "gemini",
        lambda p: p.gemini.fail_next(404, google_error(404, "NOT_FOUND")),
        "model_not_found",
        False,
        0,
    ),
    (
        "gemini-429-per-minute",
        "gemini",
        lambda p: p.gemini.fail_next(
            429,
            google_error(
                429,
                "RESOURCE_EXHAUSTED",
                quota_failure("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
                RETRY_INFO_37S,
            ),
        ),
        "rate_limited",
        True,
        37,
    ),
    (
        "gemini-429-daily-free-tier",
        "gemini",
        lambda p: p.gemini.fail_next(
            429,
            google_error(
                429,
                "RESOURCE_EXHAUSTED",
                quota_failure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
                RETRY_INFO_37S,
            ),
        ),
        "insufficient_quota",
        False,
        0,
    ),
    (
        "gemini-500",
        "gemini",
        lambda p: p.gemini.fail_next(500, google_error(500, "INTERNAL")),
        "provider_unavailable",
        True,
        0,
    ),
    (
        "gemini-503",
        "gemini",
        lambda p: p.gemini.fail_next(503, google_error(503, "UNAVAILABLE")),
        "provider_unavailable",
        True,
        0,
    ),
    (
        "gemini-prompt-blocked",
        "gemini",
        lambda p: p.gemini.fail_next(200, {"promptFeedback": {"blockReason": "SAFETY"}}),
        "content_blocked",
        False,
        0,
    ),
    (
        "gemini-safety",
        "gemini",
        lambda p: p.gemini.reply_next("", finish_reason="SAFETY"),
        "content_blocked",
        False,
        0,
    ),
    (
        "gemini-recitation",
        "gemini",
        lambda p: p.gemini.reply_next("", finish_reason="RECITATION"),
        "content_blocked",
        False,
        0,
    ),
    (
        "gemini-max-tokens",
        "gemini",
        lambda p: p.gemini.reply_next("{}", finish_reason="MAX_TOKENS"),
        "output_truncated",
        False,
        0,
    ),
]


def _lines(logs: Logs) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in logs.text.splitlines() if line.startswith("{") and '"message"' in line
    ]


@pytest.mark.parametrize(
    ("provider", "script", "code", "retried", "min_delay"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_provider_failure_is_classified_retried_or_final_with_our_message(
    aws: Aws,
    providers: Providers,
    logs: Logs,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    script: Script,
    code: str,
    retried: bool,
    min_delay: float,
) -> None:
    # Given a provider that fails the next call this way
    script(providers)
    job_id = submit(OPENAI_BYOK if provider == "openai" else GEMINI_BYOK)
    # When the worker runs the job once
    deliver(aws)
    item = job(aws, job_id)
    # Then a retryable failure leaves the job waiting with its code, a final one fails it
    if retried:
        assert item["status"] == "processing"
        assert item["retry"]["code"] == code
    else:
        assert item["status"] == "failed"
        # The user reads our sentence, never the provider's text
        assert item["error"] == {"code": code, "message": USER_MESSAGES[JobErrorCode(code)]}
    # And exactly one call was made
    assert len(getattr(providers, provider).requests) == 1
    # And the operator's line names the provider's host, the class of failure and, for a retry, when
    [line] = [
        line for line in _lines(logs) if line["message"] in {"job failed", "job attempt failed; will retry"}
    ]
    assert line["code"] == code
    assert line["provider_host"] == "127.0.0.1"
    assert line["hint"].startswith(provider)
    if retried:
        assert line["retry_in_seconds"] >= min_delay


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_connection_errors_are_retried_and_logged_with_host_and_cause(
    aws: Aws, providers: Providers, logs: Logs, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    # Given the provider's host refuses connections
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv(
        "OPENAI_BASE_URL" if provider == "openai" else "GEMINI_BASE_URL",
        url + ("/v1" if provider == "openai" else ""),
    )
    worker_handler._runner.cache_clear()
    job_id = submit(OPENAI_BYOK if provider == "openai" else GEMINI_BYOK)
    # When the worker runs the job
    deliver(aws)
    # Then it waits for a retry with provider_unavailable, and the log says which host and how
    assert job(aws, job_id)["retry"]["code"] == "provider_unavailable"
    [line] = [line for line in _lines(logs) if line["message"] == "job attempt failed; will retry"]
    assert line["provider_host"] == "127.0.0.1"
    assert "connection failed (ConnectError)" in line["hint"]


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_a_provider_that_does_not_answer_in_time_is_a_retried_timeout(
    aws: Aws, providers: Providers, logs: Logs, provider: str
) -> None:
    # Given a provider that answers after the invocation's time for the call (9 s less the 5 s margin)
    getattr(providers, provider).delay_next(6)
    job_id = submit(OPENAI_BYOK if provider == "openai" else GEMINI_BYOK)
    [message] = aws.receive()
    from tests.unit.events import worker_context as context  # noqa: F401 - the worker's own context below

    event = {"Records": [sqs_record(aws, message, timeout_seconds=9)]}
    # When the worker runs it with 9 s left
    worker_handler.lambda_handler(event, worker_context(timeout_seconds=9))
    # Then the job waits for a retry with code timeout, and the log names the phase
    assert job(aws, job_id)["retry"]["code"] == "timeout"
    [line] = [line for line in _lines(logs) if line["message"] == "job attempt failed; will retry"]
    assert "timeout (" in line["hint"]
