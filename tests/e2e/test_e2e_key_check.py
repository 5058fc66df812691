"""`POST /ai/keys/test` through the local gateway: routed to the key-check function, answered at once
from the providers' model-info endpoints (never a paid call), readable by a browser, and a key that
never shows up in the stack's logs."""

from __future__ import annotations

import time

import httpx
import pytest

from infra.config import environment_config_from_file
from tests.e2e.support import GEMINI_BYOK_KEY, OPENAI_BYOK_KEY, GatewayClient, LocalStack, configured_models

pytestmark = pytest.mark.e2e

ORIGIN = environment_config_from_file("dev").cors_allowed_origins[0]
REFUSED_GEMINI_KEY = "AIza-canary-invalid-key-0123456789"


def _key_test(gateway: GatewayClient, provider: str, key: str) -> httpx.Response:
    headers = {"X-User-Provider": provider, "X-User-Api-Key": key, "Origin": ORIGIN}
    return gateway.request("POST", "/ai/keys/test", headers=headers)


def test_a_working_key_is_checked_at_once_against_the_environments_models(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given the stack's OpenAI provider (a recording fake) and the model the dev environment uses
    before = len(local_stack.openai.requests)
    model = configured_models()["openai"]

    # When a browser tests the user's OpenAI key
    started = time.monotonic()
    response = _key_test(gateway, "openai", OPENAI_BYOK_KEY)
    elapsed = time.monotonic() - started

    # Then the key-check function answers synchronously, within seconds, readable by the browser
    assert response.status_code == 200, response.text
    assert elapsed < 5
    assert response.headers["access-control-allow-origin"] == ORIGIN
    body = response.json()
    assert (body["provider"], body["valid"], body["model_available"], body["code"]) == (
        "openai",
        True,
        True,
        None,
    )
    assert {"model": model, "available": True} in body["models"]
    # And the provider saw model-info GETs with the key, and no completion (no tokens spent)
    calls = local_stack.openai.requests[before:]
    assert calls
    assert {(call.method, call.path.rsplit("/", 1)[0]) for call in calls} == {("GET", "/v1/models")}
    assert all(call.header("authorization") == f"Bearer {OPENAI_BYOK_KEY}" for call in calls)


def test_a_refused_gemini_key_is_reported_with_the_job_error_code(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given a Gemini key the provider refuses (the fakes refuse keys containing "invalid")
    # When it is tested
    response = _key_test(gateway, "gemini", REFUSED_GEMINI_KEY)

    # Then the answer says so with the code a job would fail with, in plain words too
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["valid"], body["code"]) == (False, "invalid_api_key")
    assert "key" in body["message"].lower()
    # while a working Gemini key is good for every Gemini model the environment configures
    working = _key_test(gateway, "gemini", GEMINI_BYOK_KEY).json()
    assert working["model_available"] is True
    assert {entry["model"] for entry in working["models"]} == {
        configured_models(job)["gemini"] for job in (None, "rephrase")
    }


def test_the_key_check_needs_the_api_key_and_answers_the_browsers_preflight(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # When the key check is called without the API key
    refused = gateway.request(
        "POST",
        "/ai/keys/test",
        headers={"X-User-Provider": "openai", "X-User-Api-Key": OPENAI_BYOK_KEY},
        api_key=None,
    )
    # Then API Gateway's 403 comes back, and nobody was asked
    assert refused.status_code == 403

    # When a browser sends the preflight for it
    preflight = httpx.options(
        f"{local_stack.api_url}/ai/keys/test",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,x-user-provider,x-user-api-key",
        },
    )
    # Then it may send the BYOK headers
    assert preflight.status_code == 204
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"x-user-provider", "x-user-api-key"} <= allowed


def test_tested_keys_never_reach_the_stacks_log(local_stack: LocalStack, gateway: GatewayClient) -> None:
    # Given keys that were tested (one working, one refused)
    for provider, key in (("openai", OPENAI_BYOK_KEY), ("gemini", REFUSED_GEMINI_KEY)):
        assert _key_test(gateway, provider, key).status_code == 200

    # Then the stack's log has the checks, but neither key
    log = local_stack.log_text()
    assert "POST /ai/keys/test -> 200" in log
    assert OPENAI_BYOK_KEY not in log
    assert REFUSED_GEMINI_KEY not in log
