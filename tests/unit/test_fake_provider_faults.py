"""The fake providers' scriptable faults (FAKE_LLM_FAULTS): the plan's syntax, the share of requests
each kind hits, each kind in the provider's own wire format (checked over real HTTP), and what
`GET /_fake/stats` reports."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.fakes.faults import FaultDice, FaultPlan

OPENAI_KEY = "sk-canary-faults-0123456789abcdef"
GEMINI_KEY = "AIza-canary-faults-0123456789"
OPENAI_MODEL = "gpt-6-luna"
GEMINI_MODEL = "gemini-3.8-flash"
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(models=[OPENAI_MODEL]) as server:
        yield server


@pytest.fixture(scope="module")
def fake_gemini() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer(models=[GEMINI_MODEL]) as server:
        yield server


def _openai_call(server: FakeOpenAIServer, timeout: float = 5) -> httpx.Response:
    body = {
        "model": OPENAI_MODEL,
        "messages": [{"role": "user", "content": "fault-check"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "s", "strict": True, "schema": SCHEMA},
        },
    }
    headers = {"Authorization": f"Bearer {OPENAI_KEY}"}
    return httpx.post(f"{server.base_url}/chat/completions", json=body, headers=headers, timeout=timeout)


def _gemini_call(server: FakeGeminiServer, timeout: float = 5) -> httpx.Response:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "fault-check"}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": SCHEMA},
    }
    url = f"{server.url}/v1beta/models/{GEMINI_MODEL}:generateContent"
    return httpx.post(url, json=body, headers={"x-goog-api-key": GEMINI_KEY}, timeout=timeout)


def _only(kind: str) -> FaultPlan:
    return FaultPlan.parse(f"{kind}:1")


def test_fault_plan_reads_the_documented_syntax() -> None:
    # Given the README's example
    text = "429:0.1,500:0.05,timeout:0.02,invalid_json:0.02,truncated:0.01,blocked:0.01,quota:0.01"

    # When it is parsed
    plan = FaultPlan.parse(text)

    # Then every kind has its share, and an empty setting means no faults
    assert plan.rates == {
        "429": 0.1,
        "500": 0.05,
        "timeout": 0.02,
        "invalid_json": 0.02,
        "truncated": 0.01,
        "blocked": 0.01,
        "quota": 0.01,
    }
    assert not FaultPlan.parse("")
    assert not FaultPlan.parse(None)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("418:0.1", "unknown fault kind"),
        ("slow:0.1", "unknown fault kind"),
        ("429", "needs a rate"),
        ("429:often", "not a number"),
        ("429:1.5", "between 0 and 1"),
        ("429:0.6,500:0.6", "more than 1"),
    ],
)
def test_fault_plan_refuses_what_it_cannot_do_and_says_why(text: str, complaint: str) -> None:
    # When a wrong plan is parsed, Then the error names the problem
    with pytest.raises(ValueError, match=complaint):
        FaultPlan.parse(text)


def test_dice_hit_each_kind_at_its_share_and_repeat_with_the_same_seed() -> None:
    # Given a plan and two dice with the same seed
    plan = FaultPlan.parse("429:0.2,500:0.1,blocked:0.05")
    first, second = FaultDice(plan, seed=7), FaultDice(plan, seed=7)

    # When each draws for 4,000 requests
    draws = [first.draw() for _ in range(4000)]

    # Then each kind's share is close to the plan's, and the same seed gives the same sequence
    shares = Counter(draws)
    assert abs(shares["429"] / 4000 - 0.2) < 0.03
    assert abs(shares["500"] / 4000 - 0.1) < 0.025
    assert abs(shares["blocked"] / 4000 - 0.05) < 0.02
    assert abs(shares[None] / 4000 - 0.65) < 0.03
    assert [second.draw() for _ in range(4000)] == draws


def test_openai_rate_limit_carries_retry_after_headers(fake_openai: FakeOpenAIServer) -> None:
    # Given every OpenAI call is rate limited
    fake_openai.set_faults(_only("429"), seed=1)

    # When a call is made
    response = _openai_call(fake_openai)

    # Then it is OpenAI's 429 rate_limit_exceeded with its retry hints in seconds and milliseconds
    fake_openai.set_faults(FaultPlan())
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert response.json()["error"]["type"] == "requests"
    retry_ms = int(response.headers["retry-after-ms"])
    assert 300 <= retry_ms <= 2000
    assert int(response.headers["retry-after"]) * 1000 >= retry_ms
    assert response.headers["x-ratelimit-remaining-requests"] == "0"


def test_openai_quota_is_429_insufficient_quota_without_retry_hint(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.set_faults(_only("quota"))

    response = _openai_call(fake_openai)

    fake_openai.set_faults(FaultPlan())
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "insufficient_quota"
    assert response.json()["error"]["type"] == "insufficient_quota"
    assert "retry-after" not in response.headers


def _gemini_details(response: httpx.Response) -> dict[str, Any]:
    return {detail["@type"].rsplit(".", 1)[-1]: detail for detail in response.json()["error"]["details"]}


@pytest.mark.parametrize(("kind", "quota_id"), [("429", "PerMinute"), ("quota", "PerDay")])
def test_gemini_quota_errors_name_the_quota_and_carry_retry_info(
    fake_gemini: FakeGeminiServer, kind: str, quota_id: str
) -> None:
    # Given every Gemini call hits a per-minute (429) or the daily free-tier quota
    fake_gemini.set_faults(_only(kind))

    # When a call is made
    response = _gemini_call(fake_gemini)

    # Then it is Google's 429 RESOURCE_EXHAUSTED whose QuotaFailure names the quota, with a RetryInfo
    fake_gemini.set_faults(FaultPlan())
    assert response.status_code == 429
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    details = _gemini_details(response)
    (violation,) = details["QuotaFailure"]["violations"]
    assert quota_id in violation["quotaId"]
    assert violation["quotaDimensions"]["model"] == GEMINI_MODEL
    assert details["RetryInfo"]["retryDelay"] in {"1s", "2s"}


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_use_each_providers_error_body(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer, status: int
) -> None:
    fake_openai.set_faults(_only(str(status)))
    fake_gemini.set_faults(_only(str(status)))

    from_openai, from_gemini = _openai_call(fake_openai), _gemini_call(fake_gemini)

    fake_openai.set_faults(FaultPlan())
    fake_gemini.set_faults(FaultPlan())
    assert from_openai.status_code == from_gemini.status_code == status
    assert from_openai.json()["error"]["type"] == "server_error"
    assert from_gemini.json()["error"]["status"] == {500: "INTERNAL", 503: "UNAVAILABLE"}[status]


def test_content_faults_spoil_a_200_answer_as_each_provider_does(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> None:
    # Given one content fault at a time
    seen: dict[str, tuple[Any, Any]] = {}
    for kind in ("invalid_json", "truncated", "blocked"):
        fake_openai.set_faults(_only(kind), seed=3)
        fake_gemini.set_faults(_only(kind), seed=3)

        # When each provider answers
        openai_reply, gemini_reply = _openai_call(fake_openai).json(), _gemini_call(fake_gemini).json()
        seen[kind] = (openai_reply, gemini_reply)
    fake_openai.set_faults(FaultPlan())
    fake_gemini.set_faults(FaultPlan())

    # Then invalid_json is text that does not parse, with a normal stop
    openai_reply, gemini_reply = seen["invalid_json"]
    assert openai_reply["choices"][0]["finish_reason"] == "stop"
    assert gemini_reply["candidates"][0]["finishReason"] == "STOP"
    for text in (openai_reply["choices"][0]["message"]["content"], _gemini_text(gemini_reply)):
        with pytest.raises(ValueError):  # noqa: PT011 - json.JSONDecodeError is a ValueError
            json.loads(text)
    # and truncated stops at the output cap
    openai_reply, gemini_reply = seen["truncated"]
    assert openai_reply["choices"][0]["finish_reason"] == "length"
    assert gemini_reply["candidates"][0]["finishReason"] == "MAX_TOKENS"
    # and blocked is a refusal or content filter (OpenAI), a blocked prompt or SAFETY stop (Gemini)
    openai_reply, gemini_reply = seen["blocked"]
    choice = openai_reply["choices"][0]
    assert choice["message"]["content"] is None
    assert choice["message"]["refusal"] or choice["finish_reason"] == "content_filter"
    assert (gemini_reply.get("promptFeedback") or {}).get("blockReason") == "SAFETY" or gemini_reply[
        "candidates"
    ][0]["finishReason"] == "SAFETY"


def _gemini_text(reply: dict[str, Any]) -> str:
    return "".join(part["text"] for part in reply["candidates"][0]["content"]["parts"])


def test_timeout_fault_holds_the_request_past_the_clients_patience() -> None:
    # Given a fake whose every call times out
    with FakeGeminiServer(models=[GEMINI_MODEL], faults=_only("timeout")) as server:
        # When a client that waits half a second calls it
        # Then the client gives up, and the fake counts a timeout, not an answer
        with pytest.raises(httpx.TimeoutException):
            _gemini_call(server, timeout=0.5)
        stats = server.stats()
    assert stats["faults"] == {"timeout": 1}


def test_stats_endpoint_reports_requests_answers_and_faults_by_kind() -> None:
    # Given a fake that fails 40 % of calls with 500 and 20 % with truncated answers
    plan = FaultPlan.parse("500:0.4,truncated:0.2")
    with FakeOpenAIServer(models=[OPENAI_MODEL], faults=plan, seed=11) as server:
        # When 50 calls are made, plus one model-info request (not a generation request)
        statuses = Counter(_openai_call(server).status_code for _ in range(50))
        httpx.get(f"{server.base_url}/models", headers={"Authorization": f"Bearer {OPENAI_KEY}"})
        stats = httpx.get(f"{server.url}/_fake/stats").json()
        outcomes = Counter(outcome.outcome for outcome in server.outcomes)

    # Then the stats count each generation request once, by what it got, as the replies showed
    assert stats["requests"] == 50
    assert stats["faults"].get("500", 0) == statuses[500]
    assert stats["answered"] + stats["faults"].get("truncated", 0) == statuses[200]
    assert stats["answered"] + sum(stats["faults"].values()) == 50
    assert 0 < stats["faults"]["truncated"] < stats["faults"]["500"] < 35
    assert outcomes == Counter({"answered": stats["answered"], **stats["faults"]})
