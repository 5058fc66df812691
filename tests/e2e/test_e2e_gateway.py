"""What the local gateway does in API Gateway's place: CORS preflight, its own error responses
(with CORS headers, so a browser can read them), routes (an unknown one is the stack's 404) and the
10 MB payload limit."""

from __future__ import annotations

import ast
import json
from typing import Any

import httpx
import pytest

from infra.api_contract import ROUTE_NOT_FOUND_BODY
from infra.config import environment_config_from_file
from tests.e2e.support import REPO_ROOT, GatewayClient, LocalStack

pytestmark = pytest.mark.e2e

ORIGIN = environment_config_from_file("dev").cors_allowed_origins[0]
UNKNOWN_ROUTES = (
    ("POST", "/ai/jobs/not-a-job-type/x"),  # no such path
    ("GET", "/ai/jobs/extract"),  # a job type's resource has POST only
    ("PUT", "/ai/jobs/00000000-0000-4000-8000-000000000000"),  # a job has GET and DELETE only
    ("POST", "/ai/openapi.json"),  # the document has GET only
    ("GET", "/ai"),
    ("GET", "/openapi.json"),
)


def _stack_constants() -> dict[str, Any]:
    """The literal constants of the stack's API construct (read as source: importing it would start
    the CDK runtime)."""
    source = (REPO_ROOT / "infra" / "constructs" / "api.py").read_text(encoding="utf-8")
    return {
        target.id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
        if isinstance(node.value, (ast.Constant, ast.Tuple, ast.BinOp, ast.Dict))
    }


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


def test_unknown_route_is_a_404_with_our_error_body_not_a_403(gateway: GatewayClient) -> None:
    # Given paths and methods the API does not have, and the stack's answer for them
    expected = ROUTE_NOT_FOUND_BODY

    for method, path in UNKNOWN_ROUTES:
        for api_key in ("default", None):
            # When they are called from a browser, with the API key and without it
            body: dict[str, Any] | None = {} if method in ("POST", "PUT") else None
            response = gateway.request(
                method, path, json_body=body, headers={"Origin": ORIGIN}, api_key=api_key
            )

            # Then the gateway answers 404 route_not_found in the service's body, readable by the browser
            assert response.status_code == 404, (method, path, api_key)
            assert response.json() == expected, (method, path, api_key)
            assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
            assert response.headers["access-control-allow-origin"] in (ORIGIN, "*")


def test_openapi_document_is_routed_to_the_api_function_behind_the_api_key(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # When the OpenAPI document is asked for without the API key
    refused = gateway.request("GET", "/ai/openapi.json", api_key=None)
    # Then the resource exists and wants the key, like every other route
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "INVALID_API_KEY"

    # When it is asked for with the key
    response = gateway.request("GET", "/ai/openapi.json")
    # Then the api function answered with the document, not the gateway with an error
    assert "x-amzn-errortype" not in response.headers
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert {"openapi", "paths"} <= set(response.json())

    # and a browser may ask for it (CORS preflight on the resource)
    preflight = httpx.options(
        f"{local_stack.api_url}/ai/openapi.json",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN


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
    # Given the stack's API construct
    source = (REPO_ROOT / "infra" / "constructs" / "api.py").read_text(encoding="utf-8")
    constants = _stack_constants()

    # When the local gateway refuses a request without the API key
    response = gateway.request("GET", "/ai/jobs/00000000-0000-4000-8000-000000000000", api_key=None)

    # Then its body is the stack's gateway response template, filled in as API Gateway would
    rendered = (
        constants["GATEWAY_ERROR_TEMPLATE"]
        .replace("$context.error.responseType", "INVALID_API_KEY")
        .replace("$context.error.messageString", json.dumps("Forbidden"))
    )
    assert response.json() == json.loads(rendered)
    # and the stack takes its CORS rules from the contract the local gateway answers preflights with
    assert "from infra.api_contract import" in source
    assert "max_age=Duration.seconds(CORS_MAX_AGE_SECONDS)" in source
