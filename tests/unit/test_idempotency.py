"""Idempotent submission: a POST with an `Idempotency-Key` (per API key, for the job record's
lifetime, 24 h) returns the same job for the same request and 409 for another request under the
same key; concurrent duplicates make one job; a retried POST never queues or pays twice."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from cv_jobs.api.handler import lambda_handler
from tests.unit.conftest import CANARY_OPENAI_KEY, Aws
from tests.unit.events import api_context, api_event
from tests.unit.samples import sample

BYOK = {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY}


def post(
    key: str | None,
    body: dict[str, Any] | None = None,
    *,
    api_key_id: str = "key-id-a",
    headers: dict[str, str] | None = None,
    path: str = "extract",
) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = body if body is not None else {"cv_text": sample("cv_backend_engineer.txt")}
    all_headers = {**BYOK, **(headers or {})}
    if key is not None:
        all_headers["Idempotency-Key"] = key
    event = api_event("POST", f"/ai/jobs/{path}", body=body, headers=all_headers)
    event["requestContext"]["identity"]["apiKeyId"] = api_key_id
    response = lambda_handler(event, api_context())
    headers_out = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers_out.setdefault(name.lower(), values[-1])
    return response["statusCode"], json.loads(response["body"]), headers_out


def test_same_key_and_body_return_the_same_job_and_queue_it_once(aws: Aws) -> None:
    # Given a job posted with an Idempotency-Key
    status, first, headers = post("retry-7f3a")
    assert status == 202
    assert "idempotent-replayed" not in headers
    # When the client retries the same request (say, after a network error)
    status, again, headers = post("retry-7f3a")
    # Then it gets the same job back, 202 like the first time, marked as a replay
    assert status == 202
    assert again["job_id"] == first["job_id"]
    assert headers["idempotent-replayed"] == "true"
    # And only one job exists and only one message was queued: nothing runs or is paid twice
    assert len(aws.scan_items()) == 1
    assert len(aws.receive()) == 1


def test_same_key_with_another_body_is_409_with_our_error_body(aws: Aws) -> None:
    # Given a job posted with a key
    post("reused-key")
    # When another request is posted under the same key
    other = {"cv_text": sample("cv_nurse_career_change.txt")}
    status, body, _ = post("reused-key", other)
    # Then it is refused with 409 and our error body; nothing new is created
    assert status == 409
    assert body["error"]["code"] == "idempotency_key_reused"
    assert body["detail"]
    assert len(aws.scan_items()) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"headers": {"X-User-Provider": "gemini", "X-User-Api-Key": "AIza-canary-other-0123456789"}},
        {"path": "rephrase"},
    ],
    ids=["another provider", "another job type"],
)
def test_the_same_body_for_another_provider_or_job_is_another_request(
    aws: Aws, change: dict[str, Any]
) -> None:
    # Given an extract job on OpenAI under a key
    post("k-1")
    body = None
    if change.get("path") == "rephrase":
        body = {
            "section_content": "Led a team of five engineers.",
            "section_type": "experience",
            "instruction_type": "grammar",
        }
    # When the key is used for the same text on another provider or for another job type
    status, payload, _ = post("k-1", body, **change)
    # Then it is a different request: 409
    assert status == 409, payload


def test_keys_are_scoped_to_the_api_key(aws: Aws) -> None:
    # Given two clients (API keys) that happen to use the same Idempotency-Key
    _, first, _ = post("order-1", api_key_id="key-id-a")
    status, second, _ = post("order-1", api_key_id="key-id-b")
    # Then each gets its own job
    assert status == 202
    assert first["job_id"] != second["job_id"]
    assert len(aws.scan_items()) == 2


def test_concurrent_duplicates_resolve_to_one_job(aws: Aws) -> None:
    # Given eight identical POSTs with one key, at once
    results: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def send() -> None:
        start.wait()
        outcome = post("burst-1")
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every caller got the same job, exactly one was recorded and one message queued
    assert {status for status, _, _ in results} == {202}
    assert len({body["job_id"] for _, body, _ in results}) == 1
    assert len(aws.scan_items()) == 1
    assert len(aws.receive()) == 1


def test_a_replay_shows_the_jobs_current_status(aws: Aws) -> None:
    # Given a job that was cancelled after it was posted
    _, first, _ = post("cancel-then-retry")
    from cv_jobs.aws.jobs_store import JobsStore

    JobsStore(aws.table, 86400).cancel(first["job_id"], time.time())
    # When the POST is retried
    status, again, _ = post("cancel-then-retry")
    # Then it is that job, in its current state
    assert (status, again["job_id"], again["status"]) == (202, first["job_id"], "cancelled")


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "bad\u0001key", "caf\u00e9"])
def test_a_malformed_idempotency_key_is_400(aws: Aws, key: str) -> None:
    # When the header is empty, too long or not visible ASCII
    status, body, _ = post(key)
    # Then the request is refused before anything is created
    assert status == 400
    assert body["error"]["code"] == "invalid_idempotency_key"
    assert aws.scan_items() == []


def test_without_the_header_every_post_is_a_new_job(aws: Aws) -> None:
    post(None)
    post(None)
    assert len(aws.scan_items()) == 2
