"""Requests refused at the door: by the gateway (API key) or by the api (BYOK headers). No job is
created for any of them."""

from __future__ import annotations

import pytest

from tests.e2e.support import (
    OPENAI_BYOK_KEY,
    GatewayClient,
    LocalStack,
    items_mentioning,
    marked_cv,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("headers", "missing_header"),
    [
        pytest.param({"X-User-Provider": "openai"}, "X-User-Api-Key", id="provider-only"),
        pytest.param({"X-User-Api-Key": OPENAI_BYOK_KEY}, "X-User-Provider", id="key-only"),
    ],
)
def test_exactly_one_byok_header_is_refused_naming_the_missing_one(
    local_stack: LocalStack, gateway: GatewayClient, headers: dict[str, str], missing_header: str
) -> None:
    # Given a valid body but only one of the two BYOK headers
    cv_text, marker = marked_cv()
    items_before = len(local_stack.table_items())

    # When the job is submitted
    response = gateway.create_job("extract", {"cv_text": cv_text}, headers)

    # Then it is refused with 400, the error shape, and a message naming the missing header
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body["error"]["code"], str)
    assert body["error"]["code"]
    assert missing_header.lower() in body["error"]["message"].lower()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    # and no job exists
    assert not items_mentioning(local_stack, marker)
    assert len(local_stack.table_items()) == items_before


@pytest.mark.parametrize("provider", ["anthropic", "open ai", "gemini-pro"])
def test_unknown_provider_is_refused(local_stack: LocalStack, gateway: GatewayClient, provider: str) -> None:
    # Given a provider this service does not support
    cv_text, marker = marked_cv()
    items_before = len(local_stack.table_items())

    # When the job is submitted with it
    response = gateway.create_job(
        "extract", {"cv_text": cv_text}, {"X-User-Provider": provider, "X-User-Api-Key": OPENAI_BYOK_KEY}
    )

    # Then it is refused with 400 and no job exists
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["code"]
    assert "x-user-provider" in body["error"]["message"].lower()
    assert body["detail"]
    assert not items_mentioning(local_stack, marker)
    assert len(local_stack.table_items()) == items_before


@pytest.mark.parametrize(
    "api_key", [pytest.param(None, id="missing"), pytest.param("not-the-key", id="wrong")]
)
def test_request_without_the_gateway_api_key_is_forbidden(
    local_stack: LocalStack, gateway: GatewayClient, api_key: str | None
) -> None:
    # Given a valid job request without the right X-API-Key
    cv_text, marker = marked_cv()
    items_before = len(local_stack.table_items())

    # When it is sent
    response = gateway.create_job("extract", {"cv_text": cv_text}, api_key=api_key)

    # Then API Gateway refuses it with 403, in the service's error shape, before the api runs
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"]["message"] == "Forbidden"
    assert body["error"]["code"]
    assert body["detail"]
    assert not items_mentioning(local_stack, marker)
    assert len(local_stack.table_items()) == items_before


def test_reading_a_job_needs_the_gateway_api_key_too(gateway: GatewayClient) -> None:
    # Given an existing job
    cv_text, _ = marked_cv()
    created = gateway.create_job("extract", {"cv_text": cv_text})
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]

    # When it is read without the API key, then with it
    forbidden = gateway.request("GET", f"/ai/jobs/{job_id}", api_key=None)
    allowed = gateway.get_job(job_id)

    # Then only the request with the key sees it
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"] == "Forbidden"
    assert allowed.status_code == 200
    assert allowed.json()["job_id"] == job_id
