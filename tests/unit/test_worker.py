"""The worker Lambda through its real handler: moto behind it, fake providers as real HTTP
servers in front of it, and the local SQS poller delivering batches in Lambda's event format."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from cv_jobs.api.handler import lambda_handler as api_handler
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.job_types.cv_data import CVData
from cv_jobs.worker.handler import lambda_handler as worker_handler
from local.sqs_poller import SqsPoller
from tests.unit.conftest import (
    CANARIES,
    CANARY_GEMINI_KEY,
    CANARY_OPENAI_KEY,
    CANARY_SYSTEM_KEY,
    Aws,
    Logs,
    Providers,
)
from tests.unit.events import api_context, api_event
from tests.unit.samples import sample

OPENAI_BYOK = {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY}
GEMINI_BYOK = {"X-User-Provider": "gemini", "X-User-Api-Key": CANARY_GEMINI_KEY}


def submit(headers: dict[str, str], cv: str = "cv_backend_engineer.txt") -> str:
    event = api_event("POST", "/ai/jobs/extract", body={"cv_text": sample(cv)}, headers=headers)
    response = api_handler(event, api_context())
    assert response["statusCode"] == 202, response["body"]
    return json.loads(response["body"])["job_id"]


def deliver(aws: Aws) -> int:
    """One SQS batch through the worker, as the event source mapping would deliver it."""
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    poller = SqsPoller(
        sqs=aws.sqs,
        queue_url=aws.queue_url,
        queue_arn=queue_arn,
        worker_handler=worker_handler,
        batch_size=10,
        timeout_seconds=60,
        retry_visibility_seconds=0,
        wait_seconds=0,
        log=lambda _line: None,
    )
    return poller.poll_once()


def job(aws: Aws, job_id: str) -> dict[str, Any]:
    return aws.table.get_item(Key={"job_id": job_id}, ConsistentRead=True)["Item"]


def test_openai_byok_job_runs_with_the_users_key_and_never_the_system_key(
    aws: Aws, providers: Providers
) -> None:
    # Given an OpenAI BYOK job
    job_id = submit(OPENAI_BYOK)
    # When the worker runs it
    assert deliver(aws) == 1
    # Then OpenAI was called once, with the user's key as the bearer token
    [request] = providers.openai.requests
    assert request.header("authorization") == f"Bearer {CANARY_OPENAI_KEY}"
    assert not any(r.mentions(CANARY_SYSTEM_KEY) for r in providers.openai.requests)
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert request.body["model"] == "gpt-test"
    # And the job succeeded with a schema-valid result; the payload is gone
    item = job(aws, job_id)
    assert item["status"] == "succeeded"
    CVData.model_validate(item["result"])
    assert item["credential"] == "user"
    assert item["model"] == "gpt-test"
    assert "payload" not in item
    assert "lease_token" not in item
    assert providers.gemini.requests == []


def test_gemini_byok_key_travels_in_the_header_never_in_the_url(aws: Aws, providers: Providers) -> None:
    job_id = submit(GEMINI_BYOK)
    deliver(aws)
    [request] = providers.gemini.requests
    assert request.header("x-goog-api-key") == CANARY_GEMINI_KEY
    assert request.path == "/v1beta/models/gemini-test:generateContent"
    assert CANARY_GEMINI_KEY not in request.path
    assert request.query == {}
    assert "responseJsonSchema" in request.body["generationConfig"]
    item = job(aws, job_id)
    assert item["status"] == "succeeded"
    CVData.model_validate(item["result"])
    assert providers.openai.requests == []


def test_system_path_job_runs_on_openai_with_the_system_key(aws: Aws, providers: Providers) -> None:
    job_id = submit({})
    deliver(aws)
    [request] = providers.openai.requests
    assert request.header("authorization") == f"Bearer {CANARY_SYSTEM_KEY}"
    item = job(aws, job_id)
    assert (item["status"], item["credential"]) == ("succeeded", "system")


def test_missing_system_key_fails_the_job_with_configuration_error(aws: Aws, providers: Providers) -> None:
    # Given a system-path job and no system key in Secrets Manager
    job_id = submit({})
    aws.secrets.delete_secret(SecretId=aws.secret_arn, ForceDeleteWithoutRecovery=True)
    # When the worker runs it
    deliver(aws)
    # Then it fails at once, with our code and message, and no provider was called
    item = job(aws, job_id)
    assert item["status"] == "failed"
    assert item["error"]["code"] == "configuration_error"
    assert providers.openai.requests == []
    assert aws.receive() == []


def test_byok_key_that_does_not_unseal_fails_the_job_and_never_falls_back(
    aws: Aws, providers: Providers
) -> None:
    # Given two BYOK jobs whose sealed keys have been swapped between their messages
    first, second = submit(OPENAI_BYOK), submit(GEMINI_BYOK)
    messages = aws.receive()
    assert len(messages) == 2
    sealed = {json.loads(m["Body"])["job_id"]: m["MessageAttributes"]["sealed_key"] for m in messages}
    for message in messages:
        aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
        job_id = json.loads(message["Body"])["job_id"]
        other = second if job_id == first else first
        attributes = dict(message["MessageAttributes"])
        attributes["sealed_key"] = {"DataType": "Binary", "BinaryValue": sealed[other]["BinaryValue"]}
        aws.sqs.send_message(
            QueueUrl=aws.queue_url, MessageBody=message["Body"], MessageAttributes=attributes
        )
    # When the worker runs them
    deliver(aws)
    # Then both fail with key_unsealing_failed and no provider saw any request
    for job_id in (first, second):
        item = job(aws, job_id)
        assert item["status"] == "failed"
        assert item["error"]["code"] == "key_unsealing_failed"
    assert providers.openai.requests == []
    assert providers.gemini.requests == []


def test_byok_job_without_a_sealed_key_never_falls_back_to_the_system_key(
    aws: Aws, providers: Providers
) -> None:
    job_id = submit(OPENAI_BYOK)
    [message] = aws.receive()
    aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    forged = {
        "provider": {"DataType": "String", "StringValue": "openai"},
        "credential": {"DataType": "String", "StringValue": "system"},
    }
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=message["Body"], MessageAttributes=forged)
    deliver(aws)
    assert job(aws, job_id)["error"]["code"] == "key_unsealing_failed"
    assert providers.openai.requests == []


def test_cancelled_job_is_never_sent_to_the_provider(aws: Aws, providers: Providers) -> None:
    job_id = submit(OPENAI_BYOK)
    JobsStore(aws.table, 86400).cancel(job_id, time.time())
    deliver(aws)
    assert job(aws, job_id)["status"] == "cancelled"
    assert providers.openai.requests == []
    assert aws.receive() == []


def test_duplicate_delivery_while_the_first_attempt_is_alive_makes_no_second_call(
    aws: Aws, providers: Providers
) -> None:
    # Given a job another attempt has claimed and is still working on
    job_id = submit(OPENAI_BYOK)
    claim = JobsStore(aws.table, 86400).claim(job_id, model="gpt-test", lease_seconds=300, now=time.time())
    assert claim is not None
    # When its message is delivered again
    deliver(aws)
    # Then no provider call is made, the job is untouched and the message comes back later
    assert providers.openai.requests == []
    assert job(aws, job_id)["status"] == "processing"
    assert len(aws.receive()) == 1


def test_transient_provider_failure_is_retried_through_sqs(aws: Aws, providers: Providers) -> None:
    # Given OpenAI answers the first call with a 503
    providers.openai.fail_next(503)
    job_id = submit(OPENAI_BYOK)
    # When the worker runs the job
    deliver(aws)
    # Then the job waits for a retry with the error noted, and the message is back on the queue
    item = job(aws, job_id)
    assert item["status"] == "processing"
    assert item["last_error"]["code"] == "provider_unavailable"
    # And the redelivery succeeds
    deliver(aws)
    assert job(aws, job_id)["status"] == "succeeded"
    assert len(providers.openai.requests) == 2
    assert int(job(aws, job_id)["attempts"]) == 2


def test_transient_failures_fail_the_job_after_the_last_attempt(aws: Aws, providers: Providers) -> None:
    providers.openai.fail_next(429, times=5)
    job_id = submit(OPENAI_BYOK)
    for _ in range(3):
        deliver(aws)
    item = job(aws, job_id)
    assert item["status"] == "failed"
    assert item["error"]["code"] == "rate_limited"
    assert len(providers.openai.requests) == 3
    assert aws.receive() == []
    assert aws.receive(aws.dlq_url) == []


@pytest.mark.parametrize(
    ("script", "code"),
    [
        (lambda p: p.openai.reject_key(CANARY_OPENAI_KEY), "invalid_api_key"),
        (
            lambda p: p.openai.fail_next(429, {"error": {"code": "insufficient_quota", "message": "x"}}),
            "insufficient_quota",
        ),
        (lambda p: p.openai.fail_next(404), "model_not_found"),
        (lambda p: p.openai.reply_next("{}", finish_reason="length"), "output_truncated"),
        (lambda p: p.openai.reply_next("{}", finish_reason="content_filter"), "content_blocked"),
    ],
)
def test_terminal_failures_fail_the_job_at_once_with_our_message(
    aws: Aws, providers: Providers, script: Any, code: str
) -> None:
    script(providers)
    job_id = submit(OPENAI_BYOK)
    deliver(aws)
    item = job(aws, job_id)
    assert item["status"] == "failed"
    assert item["error"]["code"] == code
    assert set(item["error"]) == {"code", "message"}
    assert "fake" not in item["error"]["message"].lower()  # never the provider's own text
    assert len(providers.openai.requests) == 1
    assert aws.receive() == []


def test_gemini_invalid_key_and_blocked_content_are_classified(aws: Aws, providers: Providers) -> None:
    providers.gemini.reject_key(CANARY_GEMINI_KEY)
    rejected = submit(GEMINI_BYOK)
    deliver(aws)
    assert job(aws, rejected)["error"]["code"] == "invalid_api_key"
    providers.gemini.clear()
    providers.gemini.reply_next("", finish_reason="SAFETY")
    blocked = submit(GEMINI_BYOK)
    deliver(aws)
    assert job(aws, blocked)["error"]["code"] == "content_blocked"


def test_model_output_that_breaks_the_schema_is_retried(aws: Aws, providers: Providers) -> None:
    providers.openai.reply_next('{"personal": "not an object"}')
    job_id = submit(OPENAI_BYOK)
    deliver(aws)
    assert job(aws, job_id)["last_error"]["code"] == "invalid_model_output"
    deliver(aws)
    assert job(aws, job_id)["status"] == "succeeded"


def test_two_jobs_in_one_batch_each_run_with_their_own_key(aws: Aws, providers: Providers) -> None:
    # Given two OpenAI BYOK jobs with different keys and different CVs
    other_key = "sk-canary-openai-second-user-0123456789"
    first = submit(OPENAI_BYOK, "cv_backend_engineer.txt")
    second = submit({"X-User-Provider": "openai", "X-User-Api-Key": other_key}, "cv_nurse_career_change.txt")
    # When one batch carries both
    assert deliver(aws) == 2
    # Then each CV went out with its own user's key
    keys_by_cv = {
        "backend": {
            r.header("authorization") for r in providers.openai.requests if r.mentions("MAYA OKONKWO")
        },
        "nurse": {
            r.header("authorization") for r in providers.openai.requests if r.mentions("Daniel Ferreira")
        },
    }
    assert keys_by_cv == {"backend": {f"Bearer {CANARY_OPENAI_KEY}"}, "nurse": {f"Bearer {other_key}"}}
    assert job(aws, first)["status"] == job(aws, second)["status"] == "succeeded"


def test_unreadable_message_is_reported_failed_and_ends_in_the_dlq(aws: Aws, providers: Providers) -> None:
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody="not json")
    for _ in range(4):
        deliver(aws)
    assert aws.receive() == []
    [dead] = aws.receive(aws.dlq_url)
    assert dead["Body"] == "not json"


def test_keys_never_reach_dynamodb_sqs_or_logs(aws: Aws, providers: Providers, logs: Logs) -> None:
    # Given jobs on every credential path, one of them retried once
    providers.openai.fail_next(503)
    for headers in (OPENAI_BYOK, GEMINI_BYOK, {}):
        submit(headers)
    # Then the queued message bodies carry no key (looked at, then made visible again)
    messages = aws.receive()
    assert len(messages) == 3
    for message in messages:
        assert not any(canary in message["Body"] for canary in CANARIES)
        aws.sqs.change_message_visibility(
            QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    # When they run
    deliver(aws)
    deliver(aws)
    # Then no canary key is in any item, any message left behind, or any log line
    items = aws.scan_items()
    assert [item["status"] for item in items] == ["succeeded"] * 3
    assert not any(canary in json.dumps(items, default=str) for canary in CANARIES)
    left = json.dumps(aws.receive() + aws.receive(aws.dlq_url), default=str)
    assert not any(canary in left for canary in CANARIES)
    assert "job attempt failed; will retry" in logs.messages()
    assert "job succeeded" in logs.messages()
    assert not any(canary in logs.text for canary in CANARIES)


def test_a_gemini_job_does_not_import_the_openai_sdk() -> None:
    # A fresh interpreter: the worker handler and a Gemini client, and no openai module loaded.
    code = (
        "import sys\n"
        "import cv_jobs.worker.handler\n"
        # httpx is loaded up front: openai reads it from sys.modules while other threads may import
        "assert 'httpx' in sys.modules, 'httpx not preloaded'\n"
        "from cv_jobs.worker.providers import build_client\n"
        "from cv_jobs.credentials import ApiKey, Provider\n"
        "from cv_jobs.settings import WorkerSettings\n"
        "s = WorkerSettings(JOBS_TABLE_NAME='t', BYOK_KEY_ARN='k', SYSTEM_OPENAI_SECRET_ARN='s',"
        " OPENAI_MODEL='m', GEMINI_MODEL='g')\n"
        "build_client(Provider.GEMINI, ApiKey('AIza-canary-0000'), s)\n"
        "assert 'openai' not in sys.modules, 'openai imported'\n"
        "build_client(Provider.OPENAI, ApiKey('sk-canary-0000'), s)\n"
        "assert 'openai' in sys.modules\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env={"PYTHONPATH": "functions"}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_a_job_whose_attempts_all_crashed_is_failed_on_the_last_delivery(
    aws: Aws, providers: Providers
) -> None:
    # Given a job whose every allowed attempt claimed it and then died (its leases have expired)
    job_id = submit(OPENAI_BYOK)
    store = JobsStore(aws.table, 86400)
    for _ in range(3):  # MAX_ATTEMPTS
        assert store.claim(job_id, model="gpt-test", lease_seconds=-1, now=time.time()) is not None
    # When SQS delivers its message one last time
    deliver(aws)
    # Then the job ends as failed, without another provider call, and the message is gone
    item = job(aws, job_id)
    assert item["status"] == "failed"
    assert item["error"]["code"] == "internal_error"
    assert providers.openai.requests == []
    assert aws.receive() == []
