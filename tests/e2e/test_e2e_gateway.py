"""What the local gateway does in API Gateway's place: CORS preflight, its own error responses
(with CORS headers, so a browser can read them), routes and the 10 MB payload limit."""

from __future__ import annotations

import ast
import json

import httpx
import pytest

from infra.config import environment_config_from_file
from local import gateway as gateway_module
from tests.e2e.support import REPO_ROOT, GatewayClient, LocalStack

pytestmark = pytest.mark.e2e

ORIGIN = environment_config_from_file("dev").cors_allowed_origins[0]


def test_preflight_is_answered_without_an_api_key(local_stack: LocalStack) -> None:
    # Given a browser on an allowed origin about to send a BYOK job
    headers = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key,x-user-provider,x-user-api-key",
    }

    # When it sends the preflight request
    response = httpx.options(f"{local_stack.api_url}/ai/jobs/extract", headers=headers)

    # Then the gateway allows that origin, the method and every header the frontend sends
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert int(response.headers["access-control-max-age"]) > 0
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-api-key", "x-user-provider", "x-user-api-key"} <= allowed


def test_forbidden_response_carries_cors_headers(gateway: GatewayClient) -> None:
    # Given a browser request from an allowed origin without the API key
    # When it is sent
    response = gateway.request(
        "GET", "/ai/jobs/00000000-0000-4000-8000-000000000000", headers={"Origin": ORIGIN}, api_key=None
    )

    # Then the 403 is readable by the browser (gateway responses carry static CORS headers)
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] in (ORIGIN, "*")


def test_unknown_route_is_refused_like_api_gateway(gateway: GatewayClient) -> None:
    # Given paths and methods the API does not have
    for method, path in (
        ("POST", "/ai/jobs/not-a-job-type/x"),
        ("GET", "/ai/jobs/extract"),
        ("PUT", "/ai/jobs/x"),
    ):
        # When they are called with a valid API key
        response = gateway.request(method, path, json_body={} if method != "GET" else None)

        # Then API Gateway's own 403 answers
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["message"] == "Missing Authentication Token"


def test_body_over_10_mb_is_refused_by_the_gateway(local_stack: LocalStack, gateway: GatewayClient) -> None:
    # Given a body just over API Gateway's 10 MB limit
    body = b'{"cv_text": "' + b"x" * (10 * 1024 * 1024) + b'"}'

    # When it is posted
    response = httpx.post(
        f"{local_stack.api_url}/ai/jobs/extract",
        content=body,
        headers={"X-API-Key": gateway.api_key, "Content-Type": "application/json", "Origin": ORIGIN},
        timeout=10,
    )

    # Then the gateway answers 413 itself, with CORS headers
    assert response.status_code == 413
    assert response.json()["error"]["message"]
    assert response.headers["access-control-allow-origin"] in (ORIGIN, "*")


def test_local_gateway_mirrors_the_stacks_api_settings(gateway: GatewayClient) -> None:
    # Given the stack's API construct (read as source: importing it would start the CDK runtime)
    source = (REPO_ROOT / "infra" / "constructs" / "api.py").read_text(encoding="utf-8")
    constants = {
        target.id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
        if isinstance(node.value, (ast.Constant, ast.Tuple, ast.BinOp))
    }

    # When the local gateway refuses a request without the API key
    response = gateway.request("GET", "/ai/jobs/00000000-0000-4000-8000-000000000000", api_key=None)

    # Then its body is the stack's gateway response template, filled in as API Gateway would
    rendered = (
        constants["GATEWAY_ERROR_TEMPLATE"]
        .replace("$context.error.responseType", "INVALID_API_KEY")
        .replace("$context.error.messageString", json.dumps("Forbidden"))
    )
    assert response.json() == json.loads(rendered)
    # and it allows the same CORS headers and methods, for as long
    assert constants["CORS_ALLOWED_HEADERS"] == gateway_module.CORS_ALLOWED_HEADERS
    assert constants["CORS_ALLOWED_METHODS"] == gateway_module.CORS_ALLOWED_METHODS
    assert "max_age=Duration.hours(1)" in source
    assert gateway_module.CORS_MAX_AGE_SECONDS == 3600
