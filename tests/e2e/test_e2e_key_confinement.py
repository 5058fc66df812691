"""Where the keys may go and where they never go (DESIGN §3).

A user key travels from the request to the worker only as a KMS-sealed SQS attribute bound to its
job; it never appears in DynamoDB, an SQS body, the logs or an HTTP response, and neither does the
system key.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from cv_jobs.aws.key_sealer import MAGIC, encryption_context, seal_expiry
from cv_jobs.credentials import Provider
from tests.e2e.support import (
    CANARY_KEYS,
    GEMINI_BYOK_KEY,
    OPENAI_BYOK_KEY,
    GatewayClient,
    LocalStack,
    marked_cv,
)

pytestmark = pytest.mark.e2e

# Long enough that the table is seen mid-run even when the machine is busy (at 0.8 s a loaded
# two-core run finished a job before the first look).
PROVIDER_DELAY_SECONDS = 3.0


def _forms(key: str) -> list[str]:
    """The key as text and base64-encoded, as it would look in a JSON dump of a leak."""
    return [key, base64.b64encode(key.encode()).decode()]


def _leaks(text: str) -> list[str]:
    return [key for key in CANARY_KEYS if any(form in text for form in _forms(key))]


@dataclass(frozen=True)
class KeyedJobs:
    jobs: dict[str, dict[str, Any]]  # by path: "openai", "gemini" (BYOK) and "system"
    markers: dict[str, str]
    items_while_processing: list[dict[str, Any]]  # each job's item while its provider call ran


@pytest.fixture(scope="module")
def keyed(local_stack: LocalStack, gateway: GatewayClient) -> KeyedJobs:
    """One job on each path, run to the end, with a look at the table while they were running
    (the payload is removed once a job finishes, so a key stored beside it would be gone too), plus
    refused requests that carried keys."""
    requests = {
        "openai": {"X-User-Provider": "openai", "X-User-Api-Key": OPENAI_BYOK_KEY},
        "gemini": {"X-User-Provider": "gemini", "X-User-Api-Key": GEMINI_BYOK_KEY},
        "system": {},
    }
    local_stack.openai.delay_next(PROVIDER_DELAY_SECONDS, times=2)
    local_stack.gemini.delay_next(PROVIDER_DELAY_SECONDS)
    job_ids, markers = {}, {}
    for name, headers in requests.items():
        cv_text, markers[name] = marked_cv()
        response = gateway.create_job("extract", {"cv_text": cv_text}, headers)
        assert response.status_code == 202, response.text
        job_ids[name] = response.json()["job_id"]
    items_while_processing = _items_while_processing(local_stack, gateway, set(job_ids.values()))

    # Refused requests carrying keys: their error responses must not echo them either.
    cv_text, _ = marked_cv()
    for headers in (
        {"X-User-Api-Key": OPENAI_BYOK_KEY},
        {"X-User-Provider": "claude", "X-User-Api-Key": GEMINI_BYOK_KEY},
        {"X-User-Provider": "openai", "X-User-Api-Key": f"{OPENAI_BYOK_KEY} with spaces"},
    ):
        assert gateway.create_job("extract", {"cv_text": cv_text}, headers).status_code == 400

    jobs = {name: gateway.wait_until_finished(job_id) for name, job_id in job_ids.items()}
    for name, job in jobs.items():
        assert job["status"] == "succeeded", (name, job)
    return KeyedJobs(jobs, markers, items_while_processing)


def _items_while_processing(
    stack: LocalStack, gateway: GatewayClient, job_ids: set[str], timeout: float = 15.0
) -> list[dict[str, Any]]:
    """Each job's item as stored while the worker had it (its provider call is slowed down)."""
    seen: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(job_ids):
        assert time.monotonic() < deadline, f"never saw {job_ids - set(seen)} processing"
        for job_id in job_ids - set(seen):
            status = gateway.get_job(job_id).json()["status"]
            assert status in ("queued", "processing"), f"job {job_id} finished unobserved: {status}"
            if status == "processing":
                for item in stack.table_items():
                    if item["job_id"]["S"] == job_id and item["status"]["S"] == "processing":
                        seen[job_id] = item
        time.sleep(0.05)
    return list(seen.values())


def test_no_key_is_stored_in_any_job_record(local_stack: LocalStack, keyed: KeyedJobs) -> None:
    # Given jobs that ran on user keys and on the system key, and their items as they were mid-run
    running = keyed.items_while_processing
    for marker in keyed.markers.values():
        assert any(marker in json.dumps(item, default=str) for item in running), (
            "a mid-run item should still hold its job's payload"
        )

    # When every item of the jobs table is read now that they finished
    items = local_stack.table_items()

    # Then the items exist, and neither then nor now does any hold a key in any form
    stored_ids = {item["job_id"]["S"] for item in items}
    assert {job["job_id"] for job in keyed.jobs.values()} <= stored_ids
    for item in running + items:
        assert not _leaks(json.dumps(item, default=str)), item["job_id"]


def test_sqs_carries_the_user_key_only_as_a_sealed_attribute(
    local_stack: LocalStack, keyed: KeyedJobs
) -> None:
    # Given the messages the worker received for these jobs (captured by the local poller)
    captured = local_stack.captured_messages()
    by_job = {json.loads(message["body"])["job_id"]: message for message in captured}

    # Then each body only names the job, and only BYOK jobs have a Binary sealed_key attribute
    for name, job in keyed.jobs.items():
        message = by_job[job["job_id"]]
        assert json.loads(message["body"]) == {"job_id": job["job_id"], "job_type": "extract"}
        attributes = message["messageAttributes"]
        assert attributes["provider"] == {"dataType": "String", "stringValue": job["provider"]}
        if name == "system":
            assert attributes["credential"]["stringValue"] == "system"
            assert "sealed_key" not in attributes
        else:
            assert attributes["credential"]["stringValue"] == "user"
            assert attributes["sealed_key"]["dataType"] == "Binary"
            ciphertext = base64.b64decode(attributes["sealed_key"]["binaryValue"])
            assert not any(key.encode() in ciphertext for key in CANARY_KEYS)
    # and nothing any message carried, body or attribute, contains a key
    assert captured
    for message in captured:
        assert not _leaks(json.dumps(message)), message["messageId"]


def test_sealed_key_unseals_only_for_its_own_job(local_stack: LocalStack, keyed: KeyedJobs) -> None:
    # Given the sealed attribute of the OpenAI BYOK job
    job_id = keyed.jobs["openai"]["job_id"]
    message = next(m for m in local_stack.captured_messages() if json.loads(m["body"])["job_id"] == job_id)
    sealed = base64.b64decode(message["messageAttributes"]["sealed_key"]["binaryValue"])
    kms = local_stack.aws("kms")
    # MAGIC, the expiry (8 bytes), then KMS's ciphertext (cv_jobs.aws.key_sealer).
    ciphertext = sealed[len(MAGIC) + 8 :]
    context = encryption_context(job_id, Provider.OPENAI, seal_expiry(sealed))

    # When it is decrypted with its own job's context, and with another job's
    plaintext = kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext=context)["Plaintext"]
    other_job = {**context, "job_id": keyed.jobs["gemini"]["job_id"]}

    # Then only its own context yields the user's key
    assert plaintext.decode() == OPENAI_BYOK_KEY
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext=other_job)


def test_no_key_is_left_in_the_queue_or_the_dlq(local_stack: LocalStack, keyed: KeyedJobs) -> None:
    # Given finished jobs
    assert keyed.jobs
    sqs = local_stack.aws("sqs")

    # When whatever is left on the jobs queue and its DLQ is read (without consuming it)
    for suffix in ("-jobs", "-jobs-dlq"):
        messages = sqs.receive_message(
            QueueUrl=local_stack.queue_url(suffix),
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageAttributeNames=["All"],
        ).get("Messages", [])

        # Then no body or attribute holds a key
        for message in messages:
            assert not _leaks(json.dumps(message, default=str)), (suffix, message["MessageId"])


def test_no_key_is_written_to_the_logs(local_stack: LocalStack, keyed: KeyedJobs) -> None:
    # Given the local stack's whole output (handlers' Powertools logs, gateway and poller lines)
    output = local_stack.log_text()
    records = [json.loads(line) for line in output.splitlines() if line.startswith('{"level"')]

    # Then it does contain both functions' log lines about these jobs (so the check means something)
    logged_jobs = {(r.get("function_name"), r.get("job_id")) for r in records}
    for job in keyed.jobs.values():
        assert ("cv-ai-jobs-local-api", job["job_id"]) in logged_jobs
        assert ("cv-ai-jobs-local-worker", job["job_id"]) in logged_jobs
    # and not a single key
    assert not _leaks(output)


def test_no_key_is_returned_in_any_http_response(gateway: GatewayClient, keyed: KeyedJobs) -> None:
    # Given every response the gateway gave this session, refusals of key-carrying requests included
    assert keyed.jobs
    assert any(exchange.status == 400 for exchange in gateway.exchanges)

    # Then no body or header holds a key
    for exchange in gateway.exchanges:
        assert not _leaks(exchange.body), (exchange.method, exchange.url, exchange.status)
        assert not _leaks(json.dumps(exchange.headers)), (exchange.method, exchange.url)
