"""Bodies and ids that used to crash the api or miss their job: deep nesting and bytes that are not
UTF-8 are 400 `invalid_json`, an upper-case job id finds its job."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from cv_jobs.api.handler import lambda_handler
from tests.unit.conftest import Aws
from tests.unit.events import api_context, api_event, job_event
from tests.unit.samples import sample


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = lambda_handler(event, api_context())
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deeply_nested_json_is_400_invalid_json_not_500(aws: Aws, depth: int) -> None:
    # Given a body nested deeper than any JSON parser should follow
    body = '{"cv_text": ' + "[" * depth + "]" * depth + "}"
    # When it is posted
    status, payload = call(api_event("POST", "/ai/jobs/extract", body=body))
    # Then it is refused as invalid JSON, with our error body, and nothing is recorded
    assert (status, payload["error"]["code"]) == (400, "invalid_json")
    assert aws.scan_items() == []


def test_nesting_inside_a_json_object_field_is_refused_as_a_client_error(aws: Aws) -> None:
    # Given an evaluate body whose cv_json is nested as deep as the JSON parser still accepts
    depth = 900
    cv_json = "[" * depth + "]" * depth
    body = '{"job_description": "' + "Senior backend engineer role " * 3 + '", "cv_json": ' + cv_json + "}"
    # When it is posted
    status, payload = call(api_event("POST", "/ai/jobs/evaluate", body=body))
    # Then the answer is a 4xx with our error body, never a 500
    assert 400 <= status < 500, payload
    assert set(payload["error"]) == {"code", "message"}


def test_body_that_is_not_utf8_is_400_invalid_json(aws: Aws) -> None:
    # Given a body whose bytes are not UTF-8 (API Gateway passes such a body base64-encoded)
    raw = b'{"cv_text": "caf\xe9 \xff\xfe"}'
    event = api_event("POST", "/ai/jobs/extract")
    event["body"] = base64.b64encode(raw).decode("ascii")
    event["isBase64Encoded"] = True
    # When it is posted
    status, payload = call(event)
    # Then it is refused as invalid JSON
    assert (status, payload["error"]["code"]) == (400, "invalid_json")
    assert aws.scan_items() == []


def test_base64_body_that_is_utf8_json_is_accepted(aws: Aws) -> None:
    # Given a valid body that a client sent as binary (API Gateway base64-encodes it)
    raw = json.dumps({"cv_text": sample("cv_backend_engineer.txt")}).encode("utf-8")
    event = api_event("POST", "/ai/jobs/extract")
    event["body"] = base64.b64encode(raw).decode("ascii")
    event["isBase64Encoded"] = True
    # When it is posted, Then it is accepted like the same text body
    status, payload = call(event)
    assert status == 202, payload


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_upper_case_job_id_is_the_same_job(aws: Aws, method: str) -> None:
    # Given a queued job
    event = api_event("POST", "/ai/jobs/extract", body={"cv_text": sample("cv_backend_engineer.txt")})
    status, created = call(event)
    assert status == 202
    job_id = created["job_id"]
    # When it is read or cancelled with its id in upper case (UUIDs are case-insensitive)
    status, payload = call(job_event(method, job_id.upper()))
    # Then it is that job, named by its canonical (lower-case) id
    assert status == 200, payload
    assert payload["job_id"] == job_id
