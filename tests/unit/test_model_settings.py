"""Which model a job calls and what it sends: the model-family table and the per-job settings."""

from __future__ import annotations

import pytest

from cv_jobs.credentials import Provider
from cv_jobs.llm.capabilities import REASONING_BUDGET, Effort, capabilities
from cv_jobs.llm.job_settings import JobSetting, job_settings_json, parse_job_settings, plan_call
from cv_jobs.settings import ModelCheckSettings, WorkerSettings

WORKER_ENV = {
    "JOBS_TABLE_NAME": "jobs",
    "BYOK_KEY_ARN": "arn:key",
    "SYSTEM_OPENAI_SECRET_ARN": "arn:secret",
    "OPENAI_MODEL": "gpt-6-luna",
    "GEMINI_MODEL": "gemini-3.8-flash",
}


def test_cap_is_the_answer_budget_plus_room_for_the_reasoning_effort_sent() -> None:
    # Given extract on gpt-6-luna with a 16,000-token answer budget and low effort
    settings = {"extract": JobSetting(answer_tokens=16_000, effort=Effort.LOW)}

    # When its call is planned
    plan = plan_call(Provider.OPENAI, "extract", default_model="gpt-6-luna", settings=settings)

    # Then the cap holds the answer and the reasoning budget of the effort actually sent
    assert plan.native_effort == "low"
    assert plan.max_output_tokens == 16_000 + REASONING_BUDGET["low"]
    assert plan.model_known is True


@pytest.mark.parametrize(
    ("model", "effort", "native"),
    [
        ("gemini-3.8-flash", Effort.MINIMAL, "LOW"),  # 3.8 Flash refuses MINIMAL
        ("gemini-3.7-flash", Effort.MINIMAL, "LOW"),
        ("gemini-3.5-flash-lite", Effort.MINIMAL, "MINIMAL"),
        ("gemini-3.8-flash", Effort.HIGH, "HIGH"),
        ("gpt-6-luna", Effort.MINIMAL, "none"),  # luna has no "minimal": its lowest is none
        ("gpt-5", Effort.MINIMAL, "minimal"),
        ("gpt-6-luna-2026-09-22", Effort.MEDIUM, "medium"),  # a dated snapshot is its family
    ],
)
def test_effort_becomes_a_value_the_model_takes(model: str, effort: Effort, native: str) -> None:
    provider = Provider.OPENAI if model.startswith("gpt") else Provider.GEMINI

    assert capabilities(provider, model).native_effort(effort) == native


@pytest.mark.parametrize(
    ("provider", "model"),
    [(Provider.OPENAI, "gpt-4.1-mini"), (Provider.GEMINI, "gemini-2.5-flash")],
)
def test_models_that_refuse_an_effort_parameter_are_sent_none(provider: Provider, model: str) -> None:
    plan = plan_call(provider, "extract", default_model=model, settings={})

    assert plan.native_effort is None
    assert plan.model_known is True


@pytest.mark.parametrize(("provider", "limit"), [(Provider.OPENAI, 16_384), (Provider.GEMINI, 8_192)])
def test_an_unknown_model_gets_no_effort_and_a_cap_every_model_accepts(
    provider: Provider, limit: int
) -> None:
    # Given a model name the table does not know, and a job asking for a large answer
    settings = {"tailor": JobSetting(answer_tokens=30_000, effort=Effort.HIGH)}

    # When its call is planned
    plan = plan_call(provider, "tailor", default_model="brand-new-model", settings=settings)

    # Then nothing model-specific is sent and the cap is one every model of the provider takes
    assert plan.model_known is False
    assert plan.native_effort is None
    assert plan.max_output_tokens == limit


def test_cap_never_exceeds_what_the_model_can_produce() -> None:
    setting = JobSetting(answer_tokens=60_000, effort=Effort.HIGH)

    plan = plan_call(
        Provider.GEMINI, "tailor", default_model="gemini-3.8-flash", settings={"tailor": setting}
    )

    assert plan.max_output_tokens == 65_536
    assert capabilities(Provider.GEMINI, "gemini-3.8-flash").fits(60_000, Effort.HIGH) is False


def test_a_job_type_may_use_its_own_model_per_provider() -> None:
    # Given rephrase on a lite Gemini model, nothing said for OpenAI
    settings = {"rephrase": JobSetting(gemini_model="gemini-3.5-flash-lite", effort=Effort.MINIMAL)}

    # Then rephrase uses it on Gemini, the default on OpenAI, and other job types the defaults
    assert plan_call(
        Provider.GEMINI, "rephrase", default_model="gemini-3.8-flash", settings=settings
    ).model == ("gemini-3.5-flash-lite")
    assert (
        plan_call(Provider.OPENAI, "rephrase", default_model="gpt-6-luna", settings=settings).model
        == "gpt-6-luna"
    )
    assert plan_call(
        Provider.GEMINI, "extract", default_model="gemini-3.8-flash", settings=settings
    ).model == ("gemini-3.8-flash")


def test_job_settings_reach_the_worker_through_its_environment_variable() -> None:
    # Given cdk.json-style settings, encoded as the stack encodes them
    settings = parse_job_settings(
        {"extract": {"answerTokens": 16000, "effort": "low", "geminiModel": "gemini-3.5-flash-lite"}}
    )
    encoded = job_settings_json(settings)

    # When the worker reads its environment
    worker = WorkerSettings.from_env({**WORKER_ENV, "JOB_SETTINGS": encoded, "ENVIRONMENT_NAME": "dev"})

    # Then it plans the same calls, and knows its environment
    plan = worker.call_plan(Provider.GEMINI, "extract")
    assert (plan.model, plan.native_effort, plan.answer_tokens) == (
        "gemini-3.5-flash-lite",
        "LOW",
        16_000,
    )
    assert worker.environment_name == "dev"
    assert (
        encoded == '{"extract":{"answerTokens":16000,"effort":"low","geminiModel":"gemini-3.5-flash-lite"}}'
    )


@pytest.mark.parametrize(
    "bad",
    [
        '{"extract": {"effort": "extreme"}}',
        '{"extract": {"answerTokens": 10}}',
        '{"extract": {"temperature": 0.2}}',
    ],
)
def test_invalid_job_settings_are_refused_at_start(bad: str) -> None:
    with pytest.raises(ValueError, match=r"JOB_SETTINGS|job_settings"):
        WorkerSettings.from_env({**WORKER_ENV, "JOB_SETTINGS": bad})


def test_model_check_covers_every_model_some_job_may_call_once() -> None:
    settings = ModelCheckSettings.from_env(
        {
            "OPENAI_MODEL": "gpt-6-luna",
            "GEMINI_MODEL": "gemini-3.8-flash",
            "JOB_SETTINGS": '{"rephrase": {"geminiModel": "gemini-3.5-flash-lite"}, '
            '"extract": {"geminiModel": "gemini-3.8-flash"}}',
        }
    )

    assert settings.configured_models() == [
        (Provider.GEMINI, "gemini-3.5-flash-lite"),
        (Provider.GEMINI, "gemini-3.8-flash"),
        (Provider.OPENAI, "gpt-6-luna"),
    ]
