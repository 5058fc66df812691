"""The key check (`POST /ai/keys/test`): its Lambda handler against the fake providers over real HTTP
(model-info calls only, the key in a header), the reading of every kind of provider answer with the
job error codes, its time budget, its refusals, and a key that never reaches a log or a response."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.errors import USER_MESSAGES, JobErrorCode
from cv_jobs.key_check.check import OK_MESSAGE, check_key
from cv_jobs.key_check.handler import PATH, make_handler
from cv_jobs.model_check.lookup import ModelInfoReply
from cv_jobs.settings import KeyCheckSettings
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.lambda_context import new_context
from tests.unit.conftest import Logs
from tests.unit.events import api_event

OPENAI_KEY = "sk-canary-key-check-0123456789abcdef"
GEMINI_KEY = "AIza-canary-key-check-0123456789"
ORIGIN = "http://localhost:5173"
# gemini-3.5-flash-lite is a model the fakes serve by default (cdk.json configures it).
JOB_SETTINGS = json.dumps({"rephrase": {"geminiModel": "gemini-3.5-flash-lite", "answerTokens": 2048}})


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeOpenAIServer, FakeGeminiServer]]:
    with FakeOpenAIServer() as fake_openai, FakeGeminiServer() as fake_gemini:
        yield fake_openai, fake_gemini


@pytest.fixture
def fake_openai(fakes: tuple[FakeOpenAIServer, FakeGeminiServer]) -> Iterator[FakeOpenAIServer]:
    fakes[0].clear()
    yield fakes[0]
    fakes[0].clear()


@pytest.fixture
def fake_gemini(fakes: tuple[FakeOpenAIServer, FakeGeminiServer]) -> Iterator[FakeGeminiServer]:
    fakes[1].clear()
    yield fakes[1]
    fakes[1].clear()


def _settings(openai_url: str, gemini_url: str) -> KeyCheckSettings:
    return KeyCheckSettings.model_validate(
        {
            "OPENAI_MODEL": "gpt-test",
            "GEMINI_MODEL": "gemini-test",
            "JOB_SETTINGS": JOB_SETTINGS,
            "OPENAI_BASE_URL": openai_url,
            "GEMINI_BASE_URL": gemini_url,
            "CORS_ALLOWED_ORIGINS": f"https://app.example.com,{ORIGIN}",
        }
    )


def _test_key(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    handler = make_handler(lambda: _settings(fake_openai.base_url, fake_gemini.url))
    event = api_event("POST", PATH, headers=headers)
    response = handler(event, new_context("cv-ai-jobs-key-check", memory_mb=256, timeout_seconds=10))
    headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], headers, json.loads(response["body"])


def _byok(provider: str, key: str) -> dict[str, str]:
    return {"X-User-Provider": provider, "X-User-Api-Key": key, "Origin": ORIGIN}


def test_a_working_gemini_key_is_valid_for_every_configured_model_without_spending_tokens(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> None:
    # Given a Gemini key the provider accepts, in an environment with two Gemini models
    # When it is tested
    status, headers, body = _test_key(fake_openai, fake_gemini, _byok("gemini", GEMINI_KEY))

    # Then the answer says the key works with both models, at once (200), in words too
    assert status == 200
    assert body == {
        "provider": "gemini",
        "valid": True,
        "model_available": True,
        "code": None,
        "message": OK_MESSAGE,
        "models": [
            {"model": "gemini-3.5-flash-lite", "available": True},
            {"model": "gemini-test", "available": True},
        ],
    }
    assert headers["Cache-Control"] == "no-store"
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    # And only model-info GETs were made, the key in the header and nowhere in the URL
    calls = fake_gemini.requests
    assert [(call.method, call.path) for call in calls] == [
        ("GET", "/v1beta/models/gemini-3.5-flash-lite"),
        ("GET", "/v1beta/models/gemini-test"),
    ]
    assert all(call.header("x-goog-api-key") == GEMINI_KEY and not call.query for call in calls)
    assert fake_openai.requests == []


@pytest.mark.parametrize(
    ("provider", "key"), [("openai", "sk-canary-invalid-0123456789"), ("gemini", "AIza-invalid-canary-01")]
)
def test_a_key_the_provider_refuses_is_invalid_api_key(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer, provider: str, key: str
) -> None:
    # Given a key the provider refuses (the fakes refuse any key containing "invalid")
    # When it is tested
    status, _, body = _test_key(fake_openai, fake_gemini, _byok(provider, key))

    # Then it is reported invalid with the code a job with it would fail with, after a single call
    assert status == 200
    assert (body["valid"], body["model_available"], body["code"]) == (False, None, "invalid_api_key")
    assert body["message"] == USER_MESSAGES[JobErrorCode.INVALID_API_KEY]
    server = fake_openai if provider == "openai" else fake_gemini
    assert len(server.requests) == 1


def test_a_model_the_provider_no_longer_serves_is_model_not_found_with_a_valid_key(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> None:
    # Given OpenAI no longer serves the environment's model
    fake_openai.retire_model("gpt-test")

    # When a working OpenAI key is tested
    _, _, body = _test_key(fake_openai, fake_gemini, _byok("openai", OPENAI_KEY))

    # Then the key is valid, but the model is not available to it
    assert (body["valid"], body["model_available"], body["code"]) == (True, False, "model_not_found")
    assert body["models"] == [{"model": "gpt-test", "available": False}]
    assert [(call.method, call.path) for call in fake_openai.requests] == [("GET", "/v1/models/gpt-test")]


def test_an_unreachable_provider_is_provider_unavailable_and_the_key_undecided() -> None:
    # Given a provider address where nothing listens
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]

    # When a key is checked against it
    result = check_key(
        Provider.OPENAI,
        ApiKey(OPENAI_KEY),
        ["gpt-test"],
        base_url=f"http://127.0.0.1:{closed_port}/v1",
        timeout_seconds=2,
    )

    # Then nothing is claimed about the key or the model
    assert (result.valid, result.model_available, result.code) == (
        None,
        None,
        JobErrorCode.PROVIDER_UNAVAILABLE,
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            ModelInfoReply(None, transport_error="ConnectError"),
            (None, None, JobErrorCode.PROVIDER_UNAVAILABLE),
        ),
        (
            ModelInfoReply(None, transport_error="ReadTimeout", timed_out=True),
            (None, None, JobErrorCode.TIMEOUT),
        ),
        (ModelInfoReply(503, error_codes=()), (None, None, JobErrorCode.PROVIDER_UNAVAILABLE)),
        (ModelInfoReply(401, error_codes=("invalid_api_key",)), (False, None, JobErrorCode.INVALID_API_KEY)),
        (
            ModelInfoReply(400, error_codes=("API_KEY_INVALID", "INVALID_ARGUMENT")),
            (False, None, JobErrorCode.INVALID_API_KEY),
        ),
        (
            ModelInfoReply(403, error_codes=("PERMISSION_DENIED",)),
            (False, None, JobErrorCode.INVALID_API_KEY),
        ),
        (
            ModelInfoReply(429, error_codes=("insufficient_quota",)),
            (True, None, JobErrorCode.INSUFFICIENT_QUOTA),
        ),
        (ModelInfoReply(429, error_codes=("rate_limit_exceeded",)), (True, None, JobErrorCode.RATE_LIMITED)),
        (ModelInfoReply(404, error_codes=("NOT_FOUND",)), (True, False, JobErrorCode.MODEL_NOT_FOUND)),
        (ModelInfoReply(200, {"id": "m"}), (True, True, None)),
    ],
    ids=lambda value: value.status if isinstance(value, ModelInfoReply) else "",
)
def test_every_kind_of_provider_answer_is_read_with_the_job_error_codes(
    reply: ModelInfoReply, expected: tuple[bool | None, bool | None, JobErrorCode | None]
) -> None:
    # Given a provider that answers the model-info call so
    # When a key is checked
    result = check_key(
        Provider.GEMINI,
        ApiKey(GEMINI_KEY),
        ["m"],
        base_url="http://x",
        timeout_seconds=5,
        fetch=lambda *_, **__: reply,
    )

    # Then valid, model_available and code say what a job with that key would meet
    assert (result.valid, result.model_available, result.code) == expected


def test_the_check_keeps_within_its_time_budget() -> None:
    # Given a provider that takes 4 s per answer, three models to ask, and 6 s in all
    now = [0.0]
    timeouts: list[float] = []

    def slow(*_: Any, timeout: float, **__: Any) -> ModelInfoReply:
        timeouts.append(timeout)
        now[0] += 4
        return ModelInfoReply(200, {})

    # When the key is checked
    result = check_key(
        Provider.GEMINI,
        ApiKey(GEMINI_KEY),
        ["a", "b", "c"],
        base_url="http://x",
        timeout_seconds=6,
        fetch=slow,
        clock=lambda: now[0],
    )

    # Then no call may outlast the budget, the third is not made, and the answer says timeout
    assert timeouts == [6, 2]
    assert (result.valid, result.model_available, result.code) == (True, None, JobErrorCode.TIMEOUT)
    assert [entry.available for entry in result.models] == [True, True, None]


@pytest.mark.parametrize(
    ("headers", "names"),
    [
        ({}, ["X-User-Provider", "X-User-Api-Key"]),
        ({"X-User-Provider": "openai"}, ["X-User-Api-Key"]),
        ({"X-User-Api-Key": OPENAI_KEY}, ["X-User-Provider"]),
        ({"X-User-Provider": "mistral", "X-User-Api-Key": OPENAI_KEY}, ["X-User-Provider"]),
        ({"X-User-Provider": "openai", "X-User-Api-Key": "sk-1"}, ["X-User-Api-Key"]),
    ],
)
def test_missing_or_malformed_headers_are_a_400_and_no_provider_is_asked(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer, headers: dict[str, str], names: list[str]
) -> None:
    # Given a key test without a usable pair of BYOK headers
    # When it is sent
    status, _, body = _test_key(fake_openai, fake_gemini, headers)

    # Then it is refused by the api's rules, naming the header(s) at fault, and nobody is asked
    assert status == 400
    assert body["error"]["code"] == "invalid_byok_headers"
    assert all(name in body["error"]["message"] for name in names)
    assert fake_openai.requests == fake_gemini.requests == []


def test_the_key_never_reaches_a_log_line_or_the_answer(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer, logs: Logs
) -> None:
    # Given one key that works and one the provider refuses
    refused = "sk-canary-invalid-key-0123456789"

    # When both are tested
    answers = [_test_key(fake_openai, fake_gemini, _byok("openai", key)) for key in (OPENAI_KEY, refused)]

    # Then each check is logged with the key's length only, and neither key is in a log or an answer
    checked = [json.loads(line) for line in logs.text.splitlines() if '"key checked"' in line]
    assert [line["key_length"] for line in checked] == [len(OPENAI_KEY), len(refused)]
    for key in (OPENAI_KEY, refused):
        assert key not in logs.text
        assert all(key not in json.dumps(body) + json.dumps(headers) for _, headers, body in answers)
