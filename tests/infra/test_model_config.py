"""Model settings in cdk.json: live defaults, per-job settings checked against the job-type registry
and against what each model can produce, before anything is deployed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from cv_jobs.credentials import Provider
from cv_jobs.llm.capabilities import capabilities
from cv_jobs.llm.schedule import known_shutdown
from infra.config import CDK_JSON, ConfigError, environment_config, registered_job_types

ENVIRONMENTS: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]["environments"]


def _with_job_settings(job_settings: dict[str, Any]) -> dict[str, Any]:
    return {"dev": {**ENVIRONMENTS["dev"], "jobSettings": job_settings}}


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_default_models_have_no_announced_shutdown_within_six_months(name: str) -> None:
    # Given each environment's models, as the providers' published schedule knows them today
    config = environment_config(ENVIRONMENTS, name)
    horizon = date.today() + timedelta(days=183)

    # Then none is scheduled to shut down in the next six months, and each is one the worker knows
    # the parameters of (so its calls and caps are the ones validated here)
    for provider, model in config.configured_models():
        shutdown = known_shutdown(provider, model)
        assert shutdown is None or shutdown > horizon, f"{name}: {model} shuts down {shutdown}"
        assert capabilities(provider, model).known, f"{name}: {model} is not in cv_jobs.llm.capabilities"


def test_job_settings_name_only_registered_job_types() -> None:
    # Given a job type the registry does not have
    environments = _with_job_settings({"summarise": {"effort": "low"}})

    # Then the synth stops, naming it and the registry's names
    with pytest.raises(ConfigError, match=r"unknown job types \['summarise'\].*extract"):
        environment_config(environments, "dev")


def test_every_registered_job_type_may_have_settings() -> None:
    names = registered_job_types()
    environments = _with_job_settings({name: {"effort": "medium"} for name in names})

    config = environment_config(environments, "dev")

    assert set(config.job_settings) == set(names)
    assert "extract" in names


def test_a_cap_the_model_cannot_produce_stops_the_synth() -> None:
    # Given an answer budget that, with high reasoning, exceeds what gemini-3.8-flash can produce
    environments = _with_job_settings({"extract": {"answerTokens": 40000, "effort": "high"}})

    with pytest.raises(
        ConfigError, match=r"jobSettings\.extract: answerTokens 40000 .* 65536 .*gemini-3\.8-flash"
    ):
        environment_config(environments, "dev")


def test_per_job_models_are_configuration() -> None:
    environments = _with_job_settings(
        {"extract": {"geminiModel": "gemini-3.5-flash-lite", "effort": "minimal"}}
    )

    config = environment_config(environments, "dev")

    assert config.model_for(Provider.GEMINI, "extract") == "gemini-3.5-flash-lite"
    assert config.model_for(Provider.OPENAI, "extract") == config.openai_model
    assert config.model_for(Provider.GEMINI, None) == config.gemini_model
    assert json.loads(config.job_settings_env) == {
        "extract": {"geminiModel": "gemini-3.5-flash-lite", "effort": "minimal"}
    }


@pytest.mark.parametrize(
    "setting",
    [{"effort": "extreme"}, {"answerTokens": 100}, {"temperature": 0.2}, {"openaiModel": ""}],
)
def test_malformed_job_settings_stop_the_synth(setting: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="jobSettings"):
        environment_config(_with_job_settings({"extract": setting}), "dev")
