"""What the worker reads from a delivery and what it does with SQS: only the job id and the sealed
key count, the last delivery never leaves a job running, every failed record is logged."""

from __future__ import annotations

import json
import time

import pytest

from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.worker import handler as worker_handler
from tests.unit.conftest import Aws, Logs, Providers
from tests.unit.worker_support import GEMINI_BYOK, OPENAI_BYOK, burn_receive, deliver, job, submit


@pytest.fixture
def receive_limit(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> int:
    """The unit-test queue's maxReceiveCount (conftest: 3), told to the worker as the stack does."""
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    worker_handler._runner.cache_clear()
    return 3


@pytest.mark.parametrize(
    "attributes",
    [
        {"provider": {"DataType": "String", "StringValue": "anthropic"}},
        {"credential": {"DataType": "String", "StringValue": "root"}},
        {},
    ],
)
def test_unexpected_provider_or_credential_attributes_do_not_poison_a_valid_job(
    aws: Aws, providers: Providers, attributes: dict[str, dict[str, str]]
) -> None:
    # Given a BYOK job whose message carries odd (or no) informational attributes beside its sealed key
    job_id = submit(OPENAI_BYOK)
    [message] = aws.receive()
    aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    sealed = {"sealed_key": message["MessageAttributes"]["sealed_key"]}
    aws.sqs.send_message(
        QueueUrl=aws.queue_url, MessageBody=message["Body"], MessageAttributes={**attributes, **sealed}
    )
    # When the worker runs it
    deliver(aws)
    # Then the record decided: the job succeeded and nothing is left on the queue or in the DLQ
    assert job(aws, job_id)["status"] == "succeeded"
    assert aws.receive() == []
    assert aws.receive(aws.dlq_url) == []


@pytest.mark.parametrize("status", [400, 401, 403])
def test_gemini_error_body_whose_error_is_a_string_fails_at_once(
    aws: Aws, providers: Providers, status: int
) -> None:
    # Given Gemini refuses the call with a body whose `error` is a plain string
    providers.gemini.fail_next(status, {"error": "API key not valid. Please pass a valid API key."})
    job_id = submit(GEMINI_BYOK)
    # When the worker runs the job
    deliver(aws)
    # Then it failed at once with a terminal code, after one call (no crash, no retry)
    item = job(aws, job_id)
    assert item["status"] == "failed"
    assert item["error"]["code"] in {"invalid_api_key", "provider_rejected_request"}
    assert len(providers.gemini.requests) == 1


def test_the_last_delivery_fails_a_retryable_job_instead_of_leaving_it_running(
    aws: Aws, providers: Providers, receive_limit: int
) -> None:
    # Given a job whose message lost one receive (a throttled invocation) and a provider that
    # rate-limits every call
    providers.openai.fail_next(429, times=5)
    job_id = submit(OPENAI_BYOK)
    burn_receive(aws)
    # When the remaining deliveries run (attempts 1 and 2 of 3; the second is the last receive)
    deliver(aws)
    assert job(aws, job_id)["status"] == "processing"
    deliver(aws)
    # Then the job failed with the provider's code on the last delivery, and its message is gone
    # rather than sitting in the DLQ behind a job that says `processing`
    item = job(aws, job_id)
    assert (item["status"], item["error"]["code"]) == ("failed", "rate_limited")
    assert len(providers.openai.requests) == 2
    assert aws.receive() == []
    assert aws.receive(aws.dlq_url) == []


def test_a_duplicate_on_the_last_delivery_leaves_the_job_to_its_live_holder(
    aws: Aws, providers: Providers, receive_limit: int
) -> None:
    # Given a job held by a live attempt and a message on its last receive
    job_id = submit(OPENAI_BYOK)
    for _ in range(receive_limit - 1):
        burn_receive(aws)
    claim = JobsStore(aws.table, 86400).claim(job_id, model="gpt-test", lease_seconds=300, now=time.time())
    assert claim is not None
    # When that last delivery arrives
    deliver(aws, retry_visibility_seconds=None)
    # Then no provider call, the holder keeps the job, and the message is not sent to the DLQ
    assert providers.openai.requests == []
    assert job(aws, job_id)["lease_token"] == claim.token
    assert aws.receive() == []
    assert aws.receive(aws.dlq_url) == []


def test_every_failed_record_is_logged_with_message_id_receive_count_and_error_class(
    aws: Aws, providers: Providers, logs: Logs
) -> None:
    # Given a job the provider answers with a 503 and a message this service did not write
    providers.openai.fail_next(503)
    submit(OPENAI_BYOK)
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody="not json")
    # When one batch carries both
    deliver(aws)
    # Then each failed record has a log line an operator can find it by
    lines = [json.loads(line) for line in logs.text.splitlines() if line.startswith("{")]
    failed = [line for line in lines if line["message"] == "record failed"]
    assert len(failed) == 2
    for line in failed:
        assert line["message_id"]
        assert line["receive_count"] == 1
    assert {line["error_class"] for line in failed} == {"RetryLater", "PoisonMessage"}
