"""Provider failures end to end: terminal ones fail the job at once with our message; transient ones
go back to SQS (partial batch failure) and are retried by a later delivery."""

from __future__ import annotations

import json

import pytest

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
