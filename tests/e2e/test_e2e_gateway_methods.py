"""What the API fuzz run (test_e2e_openapi_fuzz.py) found at the local gateway: HTTP methods the
gateway's server did not dispatch (TRACE, and QUERY, which Schemathesis tries on every path) were
answered by Python's http.server itself with 501 and an HTML page. API Gateway answers a method a
resource lacks as it answers an unknown route, which the stack makes our 404 `route_not_found` body
with CORS headers; the local gateway now does the same for any method."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support import GATEWAY_API_KEY, LocalStack

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "CONNECT", "PROPFIND", "BREW"])
@pytest.mark.parametrize("path", ["/ai/jobs/extract", "/ai/nowhere"])
def test_a_method_no_route_has_is_refused_with_our_404_body_and_cors_headers(
    local_stack: LocalStack, method: str, path: str
) -> None:
    # Given a path (a job's or none at all) and a method no route of the API has
    # When it is sent to the gateway with a valid API key, from a browser's origin
    response = httpx.request(
        method,
        f"{local_stack.api_url}{path}",
        headers={"X-API-Key": GATEWAY_API_KEY, "Origin": "http://localhost:5173"},
        timeout=10,
    )

    # Then it is the stack's unknown-route answer: 404 in our error body, readable by the browser
    assert response.status_code == 404, response.text[:200]
    body = response.json()
    assert body["error"]["code"] == "route_not_found"
    assert body["detail"]
    assert response.headers["Access-Control-Allow-Origin"]
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
