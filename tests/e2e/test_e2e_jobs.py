"""Jobs end to end: gateway → api handler → DynamoDB + SQS → worker → provider → GET result."""

from __future__ import annotations

import pytest

from tests.e2e.support import (
    GEMINI_BYOK_KEY,
    OPENAI_BYOK_KEY,
    OPENAI_BYOK_KEY_2,
    SYSTEM_KEY,
    GatewayClient,
    LocalStack,
    accepted_job_id,
    marked_cv,
    provider_calls_for,
)

pytestmark = pytest.mark.e2e


def test_openai_byok_job_runs_with_the_users_key_and_never_the_system_key(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given a realistic CV and the user's own OpenAI key
    cv_text, marker = marked_cv()
    headers = {"X-User-Provider": "openai", "X-User-Api-Key": OPENAI_BYOK_KEY}

    # When the frontend creates an extract job and polls it
    job_id = accepted_job_id(gateway.create_job("extract", {"cv_text": cv_text}, headers))
    job = gateway.wait_until_finished(job_id)

    # Then it succeeded with a result object, and OpenAI saw the user's key and only that key
    assert job["status"] == "succeeded", job
    assert isinstance(job["result"], dict)
    assert job["result"]
    assert job["error"] is None
    (call,) = provider_calls_for(local_stack.openai, marker)  # one attempt, one call
    assert call.header("authorization") == f"Bearer {OPENAI_BYOK_KEY}"
    assert call.path == "/v1/chat/completions"
    assert job["attempts"] == 1
    assert not provider_calls_for(local_stack.gemini, marker)


def test_gemini_byok_job_sends_the_key_in_the_header_and_never_in_the_url(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given the user's own Gemini key
    cv_text, marker = marked_cv("cv_nurse_career_change.txt")
    headers = {"X-User-Provider": "gemini", "X-User-Api-Key": GEMINI_BYOK_KEY}

    # When an extract job runs
    job_id = accepted_job_id(gateway.create_job("extract", {"cv_text": cv_text}, headers))
    job = gateway.wait_until_finished(job_id)

    # Then Gemini got the key in x-goog-api-key, and neither the path nor the query carried it
    assert job["status"] == "succeeded", job
    (call,) = provider_calls_for(local_stack.gemini, marker)
    assert call.header("x-goog-api-key") == GEMINI_BYOK_KEY
    assert call.path.endswith(":generateContent")
    assert "key" not in call.query
    assert GEMINI_BYOK_KEY not in call.path + repr(call.query)
    assert job["attempts"] == 1
    assert not provider_calls_for(local_stack.openai, marker)


def test_job_without_byok_headers_runs_on_the_system_key(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given no BYOK headers (dev allows the system path)
    cv_text, marker = marked_cv("cv_messy_new_grad.txt")

    # When an extract job runs
    job_id = accepted_job_id(gateway.create_job("extract", {"cv_text": cv_text}))
    job = gateway.wait_until_finished(job_id)

    # Then OpenAI was called with the system key from Secrets Manager
    assert job["status"] == "succeeded", job
    (call,) = provider_calls_for(local_stack.openai, marker)
    assert call.header("authorization") == f"Bearer {SYSTEM_KEY}"


def test_byok_header_names_are_case_insensitive(local_stack: LocalStack, gateway: GatewayClient) -> None:
    # Given the BYOK headers spelt in lower and upper case
    cv_text, marker = marked_cv()
    headers = {"x-user-provider": "OpenAI", "X-USER-API-KEY": OPENAI_BYOK_KEY_2}

    # When an extract job runs
    job_id = accepted_job_id(gateway.create_job("extract", {"cv_text": cv_text}, headers))
    job = gateway.wait_until_finished(job_id)

    # Then they were recognised: the job ran on that user key, not on the system path
    assert job["status"] == "succeeded", job
    (call,) = provider_calls_for(local_stack.openai, marker)
    assert call.header("authorization") == f"Bearer {OPENAI_BYOK_KEY_2}"


def test_extract_result_fits_the_registry_result_model(gateway: GatewayClient) -> None:
    from cv_jobs.job_types import BY_PATH

    # Given the extract job type as the registry defines it
    extract = BY_PATH["extract"]
    cv_text, _ = marked_cv()

    # When an extract job succeeds
    job_id = accepted_job_id(
        gateway.create_job(
            "extract",
            {"cv_text": cv_text, "job_description": "Platform engineer, Python and AWS."},
            {"X-User-Provider": "gemini", "X-User-Api-Key": GEMINI_BYOK_KEY},
        )
    )
    job = gateway.wait_until_finished(job_id)
    assert job["status"] == "succeeded", job

    # Then its result validates against the job type's result model, dates normalised by code
    result = extract.result_model.model_validate(job["result"])
    assert result.model_dump(mode="json") == job["result"]
    experience = job["result"]["experience"]
    assert experience, "the fake always returns one experience entry"
    start = experience[0]["startDateValue"]
    assert isinstance(start, dict), start
    assert isinstance(start["year"], int), start
