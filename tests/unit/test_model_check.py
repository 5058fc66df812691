"""The daily model check: each configured model's status from the providers' model-info endpoints
(the fakes, over real HTTP) and the known shutdown schedule; a warning and a metric for each model
that is deprecated, unknown or within 90 days of its shutdown."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date

import pytest

from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.model_check import handler as model_check_handler
from cv_jobs.model_check.lookup import ModelState, look_up
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.lambda_context import new_context
from tests.unit.conftest import CANARY_SYSTEM_KEY, Aws, Logs

TODAY = date(2026, 11, 26)
OPENAI_KEY = ApiKey("sk-canary-model-check-0123456789")
GEMINI_KEY = ApiKey("AIza-canary-model-check-0123456789")
CONTEXT = new_context("cv-ai-jobs-model-check", memory_mb=256, timeout_seconds=60)


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


def _openai(fake: FakeOpenAIServer, model: str, key: ApiKey | None = OPENAI_KEY) -> ModelState:
    status = look_up(
        Provider.OPENAI, model, api_key=key, base_url=fake.base_url, today=TODAY, warning_days=90
    )
    return status.state


@pytest.mark.parametrize(
    ("shutdown", "state"),
    [
        (None, ModelState.AVAILABLE),
        ("2027-06-30", ModelState.DEPRECATED),  # announced, 216 days away
        ("2027-02-24", ModelState.RETIRING),  # exactly 90 days away
        ("2026-11-01", ModelState.RETIRING),  # already past, still answering
    ],
)
def test_openai_shutdown_date_decides_the_state(
    fake_openai: FakeOpenAIServer, shutdown: str | None, state: ModelState
) -> None:
    # Given OpenAI reports this shutdown date for the model
    if shutdown:
        fake_openai.deprecate_model("gpt-6-luna", shutdown)

    # When the check looks it up, then
    assert _openai(fake_openai, "gpt-6-luna") is state


def test_a_model_the_provider_does_not_know_is_unknown(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> None:
    fake_openai.retire_model("gpt-6-luna")
    fake_gemini.retire_model("gemini-3.8-flash")

    gemini = look_up(
        Provider.GEMINI,
        "gemini-3.8-flash",
        api_key=GEMINI_KEY,
        base_url=fake_gemini.url,
        today=TODAY,
        warning_days=90,
    )

    assert _openai(fake_openai, "gpt-6-luna") is ModelState.UNKNOWN
    assert gemini.state is ModelState.UNKNOWN
    assert gemini.needs_attention


def test_keys_go_in_headers_never_in_the_url(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> None:
    _openai(fake_openai, "gpt-6-luna")
    look_up(
        Provider.GEMINI,
        "gemini-3.8-flash",
        api_key=GEMINI_KEY,
        base_url=fake_gemini.url,
        today=TODAY,
        warning_days=90,
    )

    [openai_request] = fake_openai.requests
    [gemini_request] = fake_gemini.requests
    assert openai_request.path == "/v1/models/gpt-6-luna"
    assert openai_request.header("authorization") == f"Bearer {OPENAI_KEY.reveal()}"
    assert gemini_request.path == "/v1beta/models/gemini-3.8-flash"
    assert gemini_request.header("x-goog-api-key") == GEMINI_KEY.reveal()
    assert gemini_request.query == {}


def test_without_a_key_the_known_schedule_still_warns() -> None:
    # Given no key at all (the cloud has no system Gemini key)
    retiring = look_up(
        Provider.GEMINI,
        "gemini-2.5-flash",
        api_key=None,
        base_url="http://127.0.0.1:9",
        today=TODAY,
        warning_days=90,
    )
    current = look_up(
        Provider.GEMINI,
        "gemini-3.8-flash",
        api_key=None,
        base_url="http://127.0.0.1:9",
        today=TODAY,
        warning_days=90,
    )

    # Then a model on Google's published schedule is retiring, one that is not is unchecked
    assert (retiring.state, retiring.shutdown_date, retiring.days_left) == (
        ModelState.RETIRING,
        date(2026, 12, 1),
        5,
    )
    assert retiring.source == "schedule"
    assert current.state is ModelState.UNCHECKED
    assert not current.needs_attention


def test_a_rejected_key_or_an_unreachable_provider_is_unchecked_not_unknown(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.reject_key(OPENAI_KEY.reveal())

    assert _openai(fake_openai, "gpt-6-luna") is ModelState.UNCHECKED
    unreachable = look_up(
        Provider.OPENAI,
        "gpt-6-luna",
        api_key=OPENAI_KEY,
        base_url="http://127.0.0.1:9/v1",
        today=TODAY,
        warning_days=90,
    )
    assert unreachable.state is ModelState.UNCHECKED
    assert unreachable.detail == "ConnectError"


@pytest.fixture
def check_env(
    aws: Aws, fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer, monkeypatch: pytest.MonkeyPatch
) -> Aws:
    """The model-check Lambda's environment as the stack sets it, pointed at moto and the fakes."""
    for name, value in {
        "OPENAI_MODEL": "gpt-6-luna",
        "GEMINI_MODEL": "gemini-3.8-flash",
        "JOB_SETTINGS": json.dumps({"rephrase": {"geminiModel": "gemini-2.5-flash"}}),
        "ENVIRONMENT_NAME": "prod",
        "OPENAI_BASE_URL": fake_openai.base_url,
        "GEMINI_BASE_URL": fake_gemini.url,
        "MODEL_WARNING_DAYS": "90",
    }.items():
        monkeypatch.setenv(name, value)
    return aws


def test_the_scheduled_check_warns_names_the_model_and_counts_it(
    check_env: Aws, fake_openai: FakeOpenAIServer, logs: Logs, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given OpenAI announces luna's shutdown within 90 days, and a job type still on gemini-2.5-flash
    fake_openai.deprecate_model("gpt-6-luna", "2026-12-20")

    # When the daily check runs
    result = model_check_handler.lambda_handler({}, CONTEXT)

    # Then both models need attention; each warning names provider, model, date and environment
    assert result["needs_attention"] == 2
    warnings = [
        json.loads(line) for line in logs.text.splitlines() if "configured model needs attention" in line
    ]
    assert sorted((w["provider"], w["model"], w["shutdown_date"], w["environment"]) for w in warnings) == [
        ("gemini", "gemini-2.5-flash", "2026-12-01", "prod"),
        ("openai", "gpt-6-luna", "2026-12-20", "prod"),
    ]
    # And the count the alarm watches was published
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(document.get("ModelsNeedingAttention") in (2, [2.0]) for document in emitted)
    # And OpenAI was asked with the system key from Secrets Manager, which no log line shows
    assert {r.header("authorization") for r in fake_openai.requests} == {f"Bearer {CANARY_SYSTEM_KEY}"}
    assert CANARY_SYSTEM_KEY not in logs.text


def test_the_check_still_reports_when_the_system_key_is_missing(
    check_env: Aws, fake_openai: FakeOpenAIServer, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an environment whose system secret has no value
    check_env.secrets.delete_secret(SecretId=check_env.secret_arn, ForceDeleteWithoutRecovery=True)

    # When the daily check runs
    result = model_check_handler.lambda_handler({}, CONTEXT)

    # Then OpenAI was not asked, luna is unchecked, and the scheduled gemini-2.5-flash still warns
    assert fake_openai.requests == []
    states = {(m["provider"], m["model"]): m["state"] for m in result["models"]}
    assert states[("openai", "gpt-6-luna")] == "unchecked"
    assert states[("gemini", "gemini-2.5-flash")] == "retiring"
    assert result["needs_attention"] == 1


def _run_make_models(fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer) -> tuple[int, str]:
    from local.models import main

    out = io.StringIO()
    code = main(
        {
            "LOCAL_ENV": "dev",
            "OPENAI_API_KEY": OPENAI_KEY.reveal(),
            "GEMINI_API_KEY": GEMINI_KEY.reveal(),
            "OPENAI_BASE_URL": fake_openai.base_url,
            "GEMINI_BASE_URL": fake_gemini.url,
        },
        out,
    )
    return code, out.getvalue()


def test_make_models_passes_when_every_configured_model_is_served(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> None:
    code, output = _run_make_models(fake_openai, fake_gemini)

    assert code == 0
    assert "ok openai gpt-6-luna" in " ".join(output.split())
    # Every Gemini model of dev, the job types' own included, was asked about
    assert {r.path for r in fake_gemini.requests} == {
        "/v1beta/models/gemini-3.8-flash",
        "/v1beta/models/gemini-3.5-flash-lite",
    }


def test_make_models_fails_and_names_a_model_that_needs_attention(
    fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> None:
    # Given the dev environment's Gemini model has been shut down
    fake_gemini.retire_model("gemini-3.8-flash")

    # When the command checks the dev environment
    code, output = _run_make_models(fake_openai, fake_gemini)

    # Then it exits 1 and says which model
    assert code == 1
    assert "!! gemini gemini-3.8-flash unknown" in " ".join(output.split())
