"""The fake providers speak the wire formats the real clients expect (the openai SDK, httpx against
Gemini's REST API), refuse missing keys the way the providers do, and answer schema-valid output.
The e2e tests rest on them, so they are checked on their own too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from infra.config import environment_config_from_file
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.fakes.schema_sample import sample_instance
from tests.e2e.support import GEMINI_BYOK_KEY, OPENAI_BYOK_KEY

pytestmark = pytest.mark.e2e

# The fakes serve the models cdk.json configures (and refuse others, as the providers do).
DEV = environment_config_from_file("dev")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "email": {"type": ["string", "null"]},
        "start_date": {"anyOf": [{"type": "null"}, {"type": "string"}]},
        "level": {"enum": ["junior", "senior"]},
        "kind": {"const": "cv"},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
        "current": {"type": "boolean"},
        "roles": {"type": "array", "items": {"$ref": "#/$defs/Role"}, "minItems": 1},
    },
    "required": ["email", "start_date", "level", "kind", "score", "current", "roles"],
    "additionalProperties": False,
    "$defs": {
        "Role": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "company": {"type": "string"}},
            "required": ["title", "company"],
            "additionalProperties": False,
        }
    },
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeOpenAIServer, FakeGeminiServer]]:
    with FakeOpenAIServer() as fake_openai, FakeGeminiServer() as fake_gemini:
        yield fake_openai, fake_gemini


def test_schema_sample_fills_every_feature_plausibly() -> None:
    # When an instance is generated for a schema using refs, unions, enums and constraints
    instance = sample_instance(SCHEMA)

    # Then it fits the schema, with plausible values for well-known names
    assert instance["email"] == "maya.example@example.com"
    assert instance["start_date"] == "2021-03"
    assert instance["level"] == "junior"
    assert instance["kind"] == "cv"
    assert 0 <= instance["score"] <= 10
    assert instance["current"] is False
    assert instance["roles"] == [{"title": "Senior Backend Engineer", "company": "Fjordpay AB"}]
    # and is the same every time
    assert sample_instance(SCHEMA) == instance


def test_schema_sample_fits_the_extract_output_model() -> None:
    from cv_jobs.job_types import BY_PATH
    from cv_jobs.job_types.schema import provider_schema

    # Given the schema the worker sends for the extract job
    extract = BY_PATH["extract"]

    # When the fakes' generator fills it
    instance = sample_instance(provider_schema(extract.steps[0].output_model))

    # Then the job type's own output model accepts it
    extract.steps[0].output_model.model_validate(instance)


def test_fake_openai_answers_the_sdk_with_schema_output(fakes: tuple[FakeOpenAIServer, Any]) -> None:
    fake_openai, _ = fakes
    client = openai.OpenAI(api_key=OPENAI_BYOK_KEY, base_url=fake_openai.base_url, max_retries=0)

    # When the SDK asks for strict JSON-schema output
    completion = client.chat.completions.create(
        model=DEV.openai_model,
        messages=[{"role": "user", "content": "fake-openai-check"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "check", "strict": True, "schema": SCHEMA},
        },
    )

    # Then it parses the reply, and the fake recorded the bearer key
    assert completion.choices[0].finish_reason == "stop"
    assert json.loads(completion.choices[0].message.content or "") == sample_instance(SCHEMA)
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    (request,) = [r for r in fake_openai.requests if r.mentions("fake-openai-check")]
    assert request.header("authorization") == f"Bearer {OPENAI_BYOK_KEY}"


def test_fake_openai_refuses_a_request_without_a_key(fakes: tuple[FakeOpenAIServer, Any]) -> None:
    fake_openai, _ = fakes

    # When a request comes without Authorization
    response = httpx.post(f"{fake_openai.base_url}/chat/completions", json={"model": "m", "messages": []})

    # Then it gets OpenAI's 401 error body
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_fake_gemini_takes_the_key_from_the_header_only(fakes: tuple[Any, FakeGeminiServer]) -> None:
    _, fake_gemini = fakes
    url = f"{fake_gemini.url}/v1beta/models/{DEV.gemini_model}:generateContent"
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": SCHEMA},
    }

    # When the key comes in the URL, then in the header
    in_url = httpx.post(url, params={"key": GEMINI_BYOK_KEY}, json=body)
    in_header = httpx.post(url, headers={"x-goog-api-key": GEMINI_BYOK_KEY}, json=body)

    # Then only the header works, and the answer is schema output in Gemini's shape
    assert in_url.status_code == 403
    assert in_url.json()["error"]["status"] == "PERMISSION_DENIED"
    assert in_header.status_code == 200
    candidate = in_header.json()["candidates"][0]
    assert candidate["finishReason"] == "STOP"
    assert json.loads(candidate["content"]["parts"][0]["text"]) == sample_instance(SCHEMA)
    assert in_header.json()["usageMetadata"]["totalTokenCount"] > 0


def test_fakes_can_be_told_to_fail(fakes: tuple[FakeOpenAIServer, FakeGeminiServer]) -> None:
    fake_openai, fake_gemini = fakes
    client = openai.OpenAI(api_key=OPENAI_BYOK_KEY, base_url=fake_openai.base_url, max_retries=0)
    fake_openai.fail_next(429)
    fake_gemini.fail_next(503)

    # When the next calls are made
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model=DEV.openai_model, messages=[{"role": "user", "content": "x"}])
    gemini = httpx.post(
        f"{fake_gemini.url}/v1beta/models/{DEV.gemini_model}:generateContent",
        headers={"x-goog-api-key": GEMINI_BYOK_KEY},
        json={"contents": [{"parts": [{"text": "x"}]}]},
    )

    # Then they failed as scripted, in each provider's error format
    assert gemini.status_code == 503
    assert gemini.json()["error"]["status"] == "UNAVAILABLE"
