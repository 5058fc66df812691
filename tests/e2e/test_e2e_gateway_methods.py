"""What the API fuzz run (test_e2e_openapi_fuzz.py) found at the local gateway: HTTP methods the
gateway's server does not dispatch (TRACE, and QUERY, which Schemathesis tries on every path) are
answered by Python's http.server itself with 501 and an HTML page, not with a 4xx in our error body
as every other refusal is. Strict xfail until local/gateway.py routes them like any unknown method
(once fixed, the XPASS fails the suite and the marker comes off with the fix)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support import GATEWAY_API_KEY, LocalStack

pytestmark = pytest.mark.e2e


@pytest.mark.xfail(
    strict=True,
    reason="open fuzz finding: local/gateway.py's server answers TRACE and QUERY with 501 HTML",
)
@pytest.mark.parametrize("method", ["TRACE", "QUERY"])
def test_a_method_no_route_has_is_refused_with_our_error_body(local_stack: LocalStack, method: str) -> None:
    # Given a job path and a method no route of the API has
    # When it is sent to the gateway with a valid API key
    response = httpx.request(
        method, f"{local_stack.api_url}/ai/jobs/extract", headers={"X-API-Key": GATEWAY_API_KEY}, timeout=10
    )

    # Then it is a 4xx with our error body, as every other refusal
    assert 400 <= response.status_code < 500, response.text[:200]
    body = response.json()
    assert body["error"]["code"]
    assert body["detail"]
