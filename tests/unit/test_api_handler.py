"""The api Lambda through its real handler, with moto behind it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cv_jobs.api.handler import lambda_handler
from cv_jobs.aws.key_sealer import KeySealer, KeyUnsealingError
from cv_jobs.credentials import Provider
from tests.unit.conftest import CANARIES, CANARY_GEMINI_KEY, CANARY_OPENAI_KEY, Aws, Logs
from tests.unit.events import api_context, api_event, job_event
from tests.unit.samples import sample

BYOK_OPENAI = {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY}


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = lambda_handler(event, api_context())
    return response["statusCode"], json.loads(response["body"]), response.get("headers") or {}


def create(headers: dict[str, str] | None = None, body: Any = None) -> tuple[int, dict[str, Any]]:
    body = body if body is not None else {"cv_text": sample("cv_backend_engineer.txt")}
    status, payload, _ = call(api_event("POST", "/ai/jobs/extract", body=body, headers=headers))
    return status, payload


def test_byok_job_is_recorded_without_the_key_and_queued_with_a_sealed_key(aws: Aws) -> None:
    # Given a valid extract request with OpenAI BYOK headers
    # When it is posted
    status, body = create(BYOK_OPENAI, {"cv_text": sample("cv_backend_engineer.txt")})

    # Then it is accepted and queued
    assert status == 202
    assert body["status"] == "queued"
    job_id = body["job_id"]
    # And the record names provider and credential but holds no key
    [item] = aws.scan_items()
    assert item["job_id"] == job_id
    assert item["status"] == "queued"
    assert (item["provider"], item["credential"], item["job_type"]) == ("openai", "user", "extract")
    assert item["payload"]["cv_text"].startswith(sample("cv_backend_engineer.txt").strip()[:40])
    assert int(item["ttl"]) > 0
    assert CANARY_OPENAI_KEY not in json.dumps(item, default=str)
    # And the message body names only the job; the key travels sealed in an attribute
    [message] = aws.receive()
    assert json.loads(message["Body"]) == {"job_id": job_id, "job_type": "extract"}
    attributes = message["MessageAttributes"]
    assert attributes["provider"]["StringValue"] == "openai"
    assert attributes["credential"]["StringValue"] == "user"
    sealed = attributes["sealed_key"]["BinaryValue"]
    assert CANARY_OPENAI_KEY.encode() not in sealed
    sealer = KeySealer(aws.kms, aws.key_arn)
    assert sealer.unseal(sealed, job_id=job_id, provider=Provider.OPENAI).reveal() == CANARY_OPENAI_KEY


def test_sealed_key_does_not_unseal_for_another_job_or_provider(aws: Aws) -> None:
    # Given a key sealed for one job
    _, body = create(BYOK_OPENAI)
    sealed = aws.receive()[0]["MessageAttributes"]["sealed_key"]["BinaryValue"]
    sealer = KeySealer(aws.kms, aws.key_arn)
    # When it is unsealed for another job id or another provider, Then KMS refuses
    with pytest.raises(KeyUnsealingError):
        sealer.unseal(sealed, job_id="00000000-0000-4000-8000-000000000000", provider=Provider.OPENAI)
    with pytest.raises(KeyUnsealingError):
        sealer.unseal(sealed, job_id=body["job_id"], provider=Provider.GEMINI)


def test_system_path_job_has_no_key_attribute(aws: Aws) -> None:
    status, _ = create(headers={})
    assert status == 202
    [message] = aws.receive()
    assert set(message["MessageAttributes"]) == {"provider", "credential"}
    assert message["MessageAttributes"]["credential"]["StringValue"] == "system"
    assert aws.scan_items()[0]["credential"] == "system"


def test_system_path_refused_where_the_environment_requires_byok(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYSTEM_PATH_ENABLED", "false")
    status, body = create(headers={})
    assert status == 400
    assert body["error"]["code"] == "byok_required"
    assert aws.scan_items() == []


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"X-User-Provider": "openai"}, "X-User-Api-Key"),
        ({"X-User-Api-Key": CANARY_OPENAI_KEY}, "X-User-Provider"),
        ({"x-user-provider": "openai", "X-User-Api-Key": "   "}, "X-User-Api-Key"),
    ],
)
def test_one_byok_header_alone_is_refused_and_names_the_missing_one(
    aws: Aws, headers: dict[str, str], named: str
) -> None:
    status, body = create(headers)
    assert status == 400
    assert body["error"]["code"] == "invalid_byok_headers"
    assert named in body["error"]["message"]
    assert body["detail"]
    assert aws.scan_items() == []
    assert aws.receive() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-User-Provider": "anthropic", "X-User-Api-Key": CANARY_OPENAI_KEY},
        {"X-User-Provider": "openai", "X-User-Api-Key": "short"},
        {"X-User-Provider": "openai", "X-User-Api-Key": "sk-canary " + "x" * 20},
        {"X-User-Provider": "openai", "X-User-Api-Key": "sk-canary-\x07-0123456789"},
        {"X-User-Provider": "openai", "X-User-Api-Key": "sk-canary-" + "x" * 600},
    ],
)
def test_bad_byok_headers_are_refused_without_echoing_the_key(aws: Aws, headers: dict[str, str]) -> None:
    status, body = create(headers)
    assert status == 400
    text = json.dumps(body)
    assert headers["X-User-Api-Key"] not in text
    assert "sk-canary" not in text
    assert aws.scan_items() == []


def test_byok_header_names_and_provider_are_case_insensitive(aws: Aws) -> None:
    status, _ = create({"x-USER-provider": "  Gemini ", "X-USER-API-KEY": CANARY_GEMINI_KEY})
    assert status == 202
    [message] = aws.receive()
    assert message["MessageAttributes"]["provider"]["StringValue"] == "gemini"


def test_body_that_does_not_fit_the_model_gets_422_with_paths_not_values(aws: Aws) -> None:
    # Given a CV of a few words that carries a recognisable value, and a wrong type
    secret_text = "CANARY-PERSONAL-DATA ten words"
    status, body = create(BYOK_OPENAI, {"cv_text": secret_text, "job_description": 42})
    # Then the answer names the fields, never the submitted values
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert {problem["field"] for problem in body["fields"]} >= {"cv_text", "job_description"}
    assert "CANARY-PERSONAL-DATA" not in json.dumps(body)
    assert aws.scan_items() == []


def test_missing_required_field_is_422(aws: Aws) -> None:
    status, body = create(BYOK_OPENAI, {"job_description": "Backend role"})
    assert status == 422
    assert body["fields"][0]["field"] == "cv_text"


def test_cv_over_the_length_limit_is_422(aws: Aws) -> None:
    status, body = create(BYOK_OPENAI, {"cv_text": "word " * 20_001})
    assert status == 422
    assert "cv_text" in body["detail"]


def test_body_over_the_size_limit_is_413_and_nothing_is_recorded(aws: Aws) -> None:
    status, body = create(BYOK_OPENAI, {"cv_text": "x" * 400_000})
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert aws.scan_items() == []


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", ""])
def test_body_that_is_not_a_json_object_is_refused(aws: Aws, raw: str) -> None:
    status, body = create(BYOK_OPENAI, raw)
    assert status == 400
    assert body["error"]["code"] == "invalid_json"


def test_get_returns_the_contract_fields(aws: Aws) -> None:
    _, created = create(BYOK_OPENAI)
    status, body, _ = call(job_event("GET", created["job_id"]))
    assert status == 200
    assert body["job_id"] == created["job_id"]
    assert body["status"] == "queued"
    assert body["result"] is None
    assert body["error"] is None
    assert body["job_type"] == "extract"
    assert "payload" not in body
    assert not any(canary in json.dumps(body) for canary in CANARIES)


@pytest.mark.parametrize("job_id", ["3f1d9a56-0c1b-4b6e-9d1a-2f3c4d5e6f70", "not-a-uuid"])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_unknown_job_is_404(aws: Aws, job_id: str, method: str) -> None:
    status, body, _ = call(job_event(method, job_id))
    assert status == 404
    assert body["error"]["code"] == "job_not_found"


def test_cancel_of_a_queued_job_cancels_it_and_drops_the_payload(aws: Aws) -> None:
    _, created = create(BYOK_OPENAI)
    status, body, _ = call(job_event("DELETE", created["job_id"]))
    assert (status, body) == (200, {"job_id": created["job_id"], "status": "cancelled"})
    [item] = aws.scan_items()
    assert item["status"] == "cancelled"
    assert "payload" not in item


def test_cancel_of_a_finished_job_leaves_its_status(aws: Aws) -> None:
    _, created = create(BYOK_OPENAI)
    aws.table.update_item(
        Key={"job_id": created["job_id"]},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "succeeded"},
    )
    status, body, _ = call(job_event("DELETE", created["job_id"]))
    assert (status, body["status"]) == (200, "succeeded")


def test_queue_failure_gives_503_and_fails_the_job_instead_of_leaving_it_queued(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a queue URL that does not exist
    monkeypatch.setenv("JOBS_QUEUE_URL", aws.queue_url + "-missing")
    # When a job is created
    status, body = create(BYOK_OPENAI)
    # Then the client is told and the job is failed, not left queued
    assert status == 503
    assert body["error"]["code"] == "service_unavailable"
    [item] = aws.scan_items()
    assert item["status"] == "failed"
    assert item["error"]["code"] == "queue_unavailable"
    assert "payload" not in item


def test_unknown_route_is_404_with_the_error_shape(aws: Aws) -> None:
    status, body, _ = call(api_event("POST", "/ai/jobs/summarise", body={}))
    assert status == 404
    assert body["error"]["code"] == "route_not_found"


def test_cors_headers_for_an_allowed_origin(aws: Aws) -> None:
    event = api_event(
        "POST",
        "/ai/jobs/extract",
        body={"cv_text": sample("cv_backend_engineer.txt")},
        headers={**BYOK_OPENAI, "Origin": "http://localhost:5173"},
    )
    response = lambda_handler(event, api_context())
    headers = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    assert headers["access-control-allow-origin"] == ["http://localhost:5173"]


def test_no_key_reaches_the_logs(aws: Aws, logs: Logs) -> None:
    create(BYOK_OPENAI)
    create({"X-User-Provider": "gemini", "X-User-Api-Key": CANARY_GEMINI_KEY})
    create({"X-User-Provider": "openai"})
    assert logs.messages().count("job queued") == 2
    assert '"user_key_length":38' in logs.text
    assert not any(canary in logs.text for canary in CANARIES)
