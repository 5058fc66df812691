"""The fake providers refuse what the real APIs refuse, with the providers' own bodies, so a call the
real provider would reject fails the test suite too. Checked through the real openai SDK and httpx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from local.fakes import FakeGeminiServer, FakeOpenAIServer

KEY_OPENAI = "sk-canary-strict-0123456789abcdef"
KEY_GEMINI = "AIza-canary-strict-0123456789"
MESSAGES: list[Any] = [{"role": "user", "content": "strict-check"}]
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(models=["gpt-6-luna", "gpt-4.1-mini"]) as server:
        yield server


@pytest.fixture(scope="module")
def fake_gemini() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer(models=["gemini-3.8-flash", "gemini-3.5-flash-lite", "gemini-2.5-flash"]) as server:
        yield server


@pytest.fixture
def client(fake_openai: FakeOpenAIServer) -> Iterator[openai.OpenAI]:
    fake_openai.clear()
    with openai.OpenAI(api_key=KEY_OPENAI, base_url=fake_openai.base_url, max_retries=0) as sdk:
        yield sdk


def _bad_request(client: openai.OpenAI, **params: Any) -> dict[str, Any]:
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="gpt-6-luna", messages=MESSAGES, **params)
    body = raised.value.body
    assert isinstance(body, dict)
    return body


def test_openai_reasoning_model_refuses_max_tokens_as_openai_does(client: openai.OpenAI) -> None:
    body = _bad_request(client, max_tokens=500)

    assert body == {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead.",
        "type": "invalid_request_error",
        "param": "max_tokens",
        "code": "unsupported_parameter",
    }


def test_openai_reasoning_model_refuses_a_temperature_other_than_1(client: openai.OpenAI) -> None:
    body = _bad_request(client, temperature=0.2)

    assert (body["code"], body["param"]) == ("unsupported_value", "temperature")
    assert "Only the default (1) value is supported." in body["message"]


def test_openai_refuses_an_effort_the_model_does_not_list(client: openai.OpenAI) -> None:
    body = _bad_request(client, reasoning_effort="minimal")

    assert (body["code"], body["param"]) == ("unsupported_value", "reasoning_effort")
    assert "'none', 'low', 'medium', 'high', 'xhigh', and 'max'" in body["message"]


def test_openai_model_without_reasoning_refuses_any_effort(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="gpt-4.1-mini", messages=MESSAGES, reasoning_effort="low")

    assert raised.value.code == "unsupported_parameter"


def test_openai_unknown_model_is_a_404_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-4.1-nano", messages=MESSAGES)

    assert raised.value.code == "model_not_found"
    assert "The model `gpt-4.1-nano` does not exist or you do not have access to it." in str(raised.value)


def test_openai_reasoning_shares_the_cap_with_the_answer(client: openai.OpenAI) -> None:
    # When luna thinks hard within a cap that only fits an answer
    response_format: Any = {
        "type": "json_schema",
        "json_schema": {"name": "s", "strict": True, "schema": SCHEMA},
    }
    cut = client.chat.completions.create(
        model="gpt-6-luna",
        messages=MESSAGES,
        response_format=response_format,
        reasoning_effort="high",
        max_completion_tokens=500,
    )
    # and then with room for its reasoning
    whole = client.chat.completions.create(
        model="gpt-6-luna",
        messages=MESSAGES,
        response_format=response_format,
        reasoning_effort="high",
        max_completion_tokens=40_000,
    )

    # Then the first is cut off by its reasoning, the second answers; both report reasoning tokens
    assert cut.choices[0].finish_reason == "length"
    assert whole.choices[0].finish_reason == "stop"
    assert whole.choices[0].message.content
    assert whole.usage is not None
    assert whole.usage.completion_tokens_details is not None
    reasoning = whole.usage.completion_tokens_details.reasoning_tokens or 0
    assert reasoning > 0
    assert whole.usage.completion_tokens > reasoning


def test_openai_models_endpoint_reports_shutdown_dates(
    fake_openai: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    # Given one model with an announced shutdown and one retired
    fake_openai.deprecate_model("gpt-4.1-mini", "2027-01-14")

    # When the SDK lists and retrieves models
    listed = {model.id: getattr(model, "shutdown_date", "missing") for model in client.models.list()}
    retrieved = client.models.retrieve("gpt-4.1-mini")
    fake_openai.retire_model("gpt-4.1-mini")

    # Then shutdown_date is there (null where none is announced), and a retired model is a 404
    assert listed == {"gpt-4.1-mini": "2027-01-14", "gpt-6-luna": None}
    assert getattr(retrieved, "shutdown_date", None) == "2027-01-14"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4.1-mini")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4.1-mini", messages=MESSAGES)


def _generate(fake: FakeGeminiServer, model: str, config: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{fake.url}/v1beta/models/{model}:generateContent",
        headers={"x-goog-api-key": KEY_GEMINI},
        json={
            "contents": [{"role": "user", "parts": [{"text": "strict-check"}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseJsonSchema": SCHEMA,
                **config,
            },
        },
    )


@pytest.mark.parametrize(
    ("model", "config", "message"),
    [
        (
            "gemini-3.8-flash",
            {"thinkingConfig": {"thinkingLevel": "MINIMAL"}},
            "Thinking level MINIMAL is not supported for this model. Please retry with other thinking level.",
        ),
        (
            "gemini-2.5-flash",
            {"thinkingConfig": {"thinkingLevel": "LOW"}},
            "Thinking level is not supported for this model.",
        ),
        (
            "gemini-3.8-flash",
            {"thinkingConfig": {"thinkingLevel": "LOW", "thinkingBudget": 1024}},
            "You can only set only one of thinking budget and thinking level.",
        ),
        ("gemini-3.5-flash-lite", {"frequencyPenalty": 0.5}, "Penalty is not enabled for this model."),
    ],
)
def test_gemini_refuses_what_the_model_does_not_take(
    fake_gemini: FakeGeminiServer, model: str, config: dict[str, Any], message: str
) -> None:
    response = _generate(fake_gemini, model, config)

    assert response.status_code == 400
    assert response.json() == {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}


def test_gemini_unknown_model_is_googles_404(fake_gemini: FakeGeminiServer) -> None:
    response = _generate(fake_gemini, "gemini-2.0-flash", {})

    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"
    assert response.json()["error"]["message"].startswith(
        "models/gemini-2.0-flash is not found for API version v1beta"
    )


def test_gemini_thoughts_count_against_max_output_tokens(fake_gemini: FakeGeminiServer) -> None:
    # When 3.8 Flash thinks at HIGH within a cap that fits only the answer, then with room
    cut = _generate(
        fake_gemini, "gemini-3.8-flash", {"maxOutputTokens": 300, "thinkingConfig": {"thinkingLevel": "HIGH"}}
    )
    whole = _generate(
        fake_gemini,
        "gemini-3.8-flash",
        {"maxOutputTokens": 40_000, "thinkingConfig": {"thinkingLevel": "HIGH"}},
    )

    # Then the first ends at MAX_TOKENS without an answer; the second answers and reports its thoughts
    assert cut.json()["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert cut.json()["candidates"][0]["content"]["parts"] == []
    assert whole.json()["candidates"][0]["finishReason"] == "STOP"
    usage = whole.json()["usageMetadata"]
    assert usage["thoughtsTokenCount"] > 0
    assert (
        usage["totalTokenCount"]
        == usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )


def test_gemini_model_info_knows_served_models_only(fake_gemini: FakeGeminiServer) -> None:
    fake_gemini.clear()
    headers = {"x-goog-api-key": KEY_GEMINI}

    served = httpx.get(f"{fake_gemini.url}/v1beta/models/gemini-3.8-flash", headers=headers)
    fake_gemini.retire_model("gemini-3.8-flash")
    retired = httpx.get(f"{fake_gemini.url}/v1beta/models/gemini-3.8-flash", headers=headers)
    keyless = httpx.get(f"{fake_gemini.url}/v1beta/models/gemini-3.5-flash-lite")
    fake_gemini.clear()

    assert served.status_code == 200
    assert served.json()["name"] == "models/gemini-3.8-flash"
    assert served.json()["outputTokenLimit"] == 65_536
    assert retired.status_code == 404
    assert keyless.status_code == 403


def test_fakes_serve_the_models_cdk_json_configures_by_default() -> None:
    from infra.config import environment_config_from_file

    with FakeOpenAIServer() as fake_openai, FakeGeminiServer() as fake_gemini:
        for name in ("dev", "prod"):
            config = environment_config_from_file(name)
            for provider, model in config.configured_models():
                assert (fake_openai if provider == "openai" else fake_gemini).serves(model), model
        assert fake_openai.serves("gpt-test")
        assert fake_gemini.serves("gemini-test")
        assert not fake_openai.serves("gpt-4.1-mini")
