"""Failures end to end: terminal provider errors fail the job at once with our message; transient
ones go back to SQS (partial batch failure) for a later delivery; a poison message ends in the DLQ."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from infra.config import environment_config_from_file
from tests.e2e.support import (
    GEMINI_BYOK_KEY,
    REVOKED_OPENAI_KEY,
    GatewayClient,
    LocalStack,
    marked_cv,
    provider_calls_for,
)

pytestmark = pytest.mark.e2e


def test_rejected_user_key_fails_the_job_at_once_without_echoing_the_provider_text(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given a user key that OpenAI rejects (its 401 text echoes fragments of the key)
    local_stack.openai.reject_key(REVOKED_OPENAI_KEY)
    cv_text, marker = marked_cv()
    headers = {"X-User-Provider": "openai", "X-User-Api-Key": REVOKED_OPENAI_KEY}

    # When a job runs with it
    response = gateway.create_job("extract", {"cv_text": cv_text}, headers)
    assert response.status_code == 202, response.text
    job = gateway.wait_until_finished(response.json()["job_id"])

    # Then it failed on the first call with a stable code and our own message
    assert job["status"] == "failed", job
    assert job["result"] is None
    assert job["error"]["code"] == "invalid_api_key"
    assert job["error"]["message"]
    assert "Incorrect API key" not in job["error"]["message"]
    assert REVOKED_OPENAI_KEY[:6] not in json.dumps(job)
    assert len(provider_calls_for(local_stack.openai, marker)) == 1


def test_transient_provider_error_is_retried_through_sqs_and_the_job_succeeds(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given Gemini answers the next call with 503 Unavailable
    local_stack.gemini.fail_next(503)
    cv_text, marker = marked_cv()
    headers = {"X-User-Provider": "gemini", "X-User-Api-Key": GEMINI_BYOK_KEY}

    # When a job runs
    response = gateway.create_job("extract", {"cv_text": cv_text}, headers)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    job = gateway.wait_until_finished(job_id)

    # Then the message came back from SQS for a second attempt, which succeeded
    assert job["status"] == "succeeded", job
    assert len(provider_calls_for(local_stack.gemini, marker)) == 2
    deliveries = [
        message["receiveCount"]
        for message in local_stack.captured_messages()
        if json.loads(message["body"])["job_id"] == job_id
    ]
    assert deliveries == [1, 2]


def test_poison_message_is_retried_then_moved_to_the_dlq(local_stack: LocalStack) -> None:
    # Given a message on the jobs queue that this service did not write
    sqs = local_stack.aws("sqs")
    body = f"not a job message {uuid.uuid4()}"
    sqs.send_message(QueueUrl=local_stack.queue_url("-jobs"), MessageBody=body)

    # When the worker has had it maxReceiveCount times (each failure reported as a batch item failure)
    max_receive_count = environment_config_from_file("dev").max_receive_count
    dlq_url = local_stack.queue_url("-jobs-dlq")
    deadline = time.monotonic() + 15
    in_dlq: list[dict[str, Any]] = []
    while not in_dlq and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
            "Messages", []
        )
        in_dlq = [m for m in messages if m["Body"] == body]
        time.sleep(0.2)

    # Then it was delivered exactly that many times and now waits in the DLQ for inspection
    assert in_dlq, "the poison message never reached the DLQ"
    deliveries = [m["receiveCount"] for m in local_stack.captured_messages() if m["body"] == body]
    assert deliveries == list(range(1, max_receive_count + 1))
