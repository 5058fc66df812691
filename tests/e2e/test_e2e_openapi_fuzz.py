"""A fuzz run of the API from its own OpenAPI document (Schemathesis) against the local stack: bodies,
headers and ids that fit the document and ones that do not, for every operation. Whatever is sent,
the API never answers 5xx, every answer is one the document lists with the schema it gives, and every
refusal is a clear 4xx with our error body (`{"error": {"code", "message"}, "detail"}`).

The jobs it creates are deleted afterwards, so the table stays small for the tests that scan it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from tests.e2e.support import GATEWAY_API_KEY, REPO_ROOT, LocalStack

pytestmark = pytest.mark.e2e

OPENAPI_DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
# Methods the document does not list are tried on every path too, all of them: TRACE and QUERY were
# once left out because the local gateway's HTTP server answered them itself (501, HTML); they are
# named here so that a change of Schemathesis's defaults cannot drop them again.
_UNEXPECTED_METHODS = ["get", "put", "post", "delete", "options", "patch", "trace", "query"]
_CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": _UNEXPECTED_METHODS}}})
# Loaded when the module is collected (Schemathesis's lazy fixture loader does not run on pytest 9);
# the stack's address is given per call.
schema = schemathesis.openapi.from_path(OPENAPI_DOCUMENT, config=_CONFIG)
_created_jobs: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _forget_created_jobs(local_stack: LocalStack) -> Iterator[None]:
    yield
    dynamodb = local_stack.aws("dynamodb")
    (table,) = [name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-jobs")]
    for job_id in _created_jobs:
        dynamodb.delete_item(TableName=table, Key={"job_id": {"S": job_id}})


def our_error_body(response: Any) -> None:
    """A 4xx says what went wrong in our words: `error.code`, `error.message` and `detail`."""
    if response.status_code == 202:
        _created_jobs.append(response.json()["job_id"])
    if not 400 <= response.status_code < 500:
        return
    body = response.json()
    assert isinstance(body, dict), f"{response.status_code} body is not an object: {response.text[:200]}"
    error = body.get("error")
    assert isinstance(error, dict), f"{response.status_code} without an error object: {response.text[:200]}"
    for text in (error.get("code"), error.get("message"), body.get("detail")):
        assert isinstance(text, str), response.text[:200]
        assert text.strip(), response.text[:200]


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_any_request_from_the_document_is_answered_as_documented(case: Any, local_stack: LocalStack) -> None:
    # Given a request the fuzzer built from the operation's document (fitting it or not)
    # When it is sent to the local stack with the gateway's API key
    response = case.call(base_url=local_stack.api_url, headers={"X-API-Key": GATEWAY_API_KEY}, timeout=15)

    # Then it is not a 5xx, its status and body are what the document says, and a refusal is ours
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    our_error_body(response)
