"""Idempotent submission: a POST with an `Idempotency-Key` (per API key, for the job record's
lifetime, 24 h) returns the same job for the same request and 409 for another request under the
same key; concurrent duplicates make one job; a retried POST never queues or pays twice; job ids
stay random uuid4s. The key's record itself: tests/unit/test_idempotency_records.py."""

from __future__ import annotations

import json
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import boto3
import pytest

from cv_jobs.api.handler import lambda_handler
from cv_jobs.aws.idempotency_records import RECORD_PREFIX
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_budget import ENVIRONMENT_SCOPE
from tests.unit.conftest import CANARY_OPENAI_KEY, Aws
from tests.unit.events import api_context, api_event
from tests.unit.samples import sample

BYOK = {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY}


def jobs(aws: Aws) -> list[dict[str, Any]]:
    return [item for item in aws.scan_items() if not item["job_id"].startswith(RECORD_PREFIX)]


def records(aws: Aws) -> list[dict[str, Any]]:
    return [item for item in aws.scan_items() if item["job_id"].startswith(RECORD_PREFIX)]


def post(
    key: str | None,
    body: dict[str, Any] | None = None,
    *,
    api_key_id: str = "key-id-a",
    headers: dict[str, str] | None = None,
    path: str = "extract",
    system: bool = False,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """One POST through the api handler; `system`: without BYOK headers (the service's key)."""
    body = body if body is not None else {"cv_text": sample("cv_backend_engineer.txt")}
    all_headers = {**({} if system else BYOK), **(headers or {})}
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
    # And only one job (and one record of the key) exists and only one message was queued:
    # nothing runs or is paid twice
    assert len(jobs(aws)) == 1
    assert len(records(aws)) == 1
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
    assert len(jobs(aws)) == 1


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


def test_an_idempotent_job_id_is_a_random_uuid4_unrelated_to_the_client_or_key(aws: Aws) -> None:
    # Given two clients (API keys) that happen to use the same Idempotency-Key
    _, first, _ = post("order-1", api_key_id="key-id-a")
    status, second, _ = post("order-1", api_key_id="key-id-b")
    # Then each gets its own job, and each id is a random uuid4 (nothing derived from key or client)
    assert status == 202
    assert first["job_id"] != second["job_id"]
    for job_id in (first["job_id"], second["job_id"]):
        assert uuid.UUID(job_id).version == 4
        assert str(uuid.UUID(job_id)) == job_id
    # And the ids share nothing beyond the version and variant nibbles a uuid4 always has
    a, b = (uuid.UUID(j["job_id"]).hex for j in (first, second))
    assert sum(x == y for x, y in zip(a, b, strict=True)) < 16
    assert len(jobs(aws)) == 2


def test_the_same_client_and_key_in_another_window_gets_a_fresh_uuid4(aws: Aws) -> None:
    # Given a job posted with a key, whose record and job are then gone (the TTL's work)
    _, first, _ = post("window-1")
    for item in aws.scan_items():
        aws.table.delete_item(Key={"job_id": item["job_id"]})
    # When the same client posts the same request under the same key
    status, again, headers = post("window-1")
    # Then it is a new job with a new random id, not a recomputed one
    assert (status, headers.get("idempotent-replayed")) == (202, None)
    assert again["job_id"] != first["job_id"]
    assert uuid.UUID(again["job_id"]).version == 4


def burst(key: str, *, system: bool = False, n: int = 8) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    """`n` identical POSTs with one key, released at the same moment."""
    results: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    lock = threading.Lock()
    start = threading.Barrier(n)

    def send() -> None:
        start.wait()
        outcome = post(key, system=system)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_duplicates_resolve_to_one_job_one_message_and_one_seal(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every seal of a key is counted
    seals: list[str] = []
    real_seal = KeySealer.seal

    def counted_seal(self: KeySealer, *args: Any, **kwargs: Any) -> Any:
        seals.append(kwargs["job_id"])
        return real_seal(self, *args, **kwargs)

    monkeypatch.setattr(KeySealer, "seal", counted_seal)
    # When eight identical POSTs with one key arrive at once
    results = burst("burst-1")
    # Then every caller got the same job, exactly one was recorded and one message queued
    assert {status for status, _, _ in results} == {202}
    assert len({body["job_id"] for _, body, _ in results}) == 1
    assert len(jobs(aws)) == 1
    assert len(records(aws)) == 1
    assert len(aws.receive()) == 1
    # And the user's key was sealed once, for that job
    assert seals == [results[0][1]["job_id"]]


def test_concurrent_duplicates_on_the_system_key_spend_the_budget_once(aws: Aws) -> None:
    # Given the system path (no BYOK headers) with its daily budgets
    # When eight identical POSTs with one key arrive at once
    results = burst("burst-system", system=True)
    # Then they all got the one job, and the environment's budget counter moved by exactly one
    assert {status for status, _, _ in results} == {202}, results
    assert len({body["job_id"] for _, body, _ in results}) == 1
    counters = boto3.resource("dynamodb", region_name="us-east-1").Table("budgets").scan()["Items"]
    used = [c["used"] for c in counters if str(c["counter"]).startswith(f"{ENVIRONMENT_SCOPE}#")]
    assert used == [Decimal(1)]


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
    # When the same request is posted twice without a key
    _, first, _ = post(None)
    _, second, _ = post(None)
    # Then there are two jobs and no record of any key
    assert first["job_id"] != second["job_id"]
    assert len(jobs(aws)) == 2
    assert records(aws) == []
