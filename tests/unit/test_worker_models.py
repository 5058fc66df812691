"""The worker calls the configured models with the parameters they accept, leaves room for their
reasoning, reports reasoning tokens apart, and fails at once, counted and named, on a model the
provider does not know. The fakes refuse what the real APIs refuse (test_fake_providers_strict)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cv_jobs.llm.capabilities import REASONING_BUDGET
from cv_jobs.worker import handler as worker_handler
from tests.unit.conftest import Aws, Logs, Providers
from tests.unit.test_worker import GEMINI_BYOK, OPENAI_BYOK, deliver, job, submit

JOB_SETTINGS = {"extract": {"answerTokens": 2000, "effort": "high"}}


@pytest.fixture
def live_models(aws: Aws, providers: Providers, monkeypatch: pytest.MonkeyPatch) -> Providers:
    """The worker configured like a deployed environment: current models, per-job settings."""
    for name, value in {
        "OPENAI_MODEL": "gpt-6-luna",
        "GEMINI_MODEL": "gemini-3.8-flash",
        "JOB_SETTINGS": json.dumps(JOB_SETTINGS),
        "ENVIRONMENT_NAME": "staging",
    }.items():
        monkeypatch.setenv(name, value)
    providers.openai.serve_model("gpt-6-luna")
    providers.gemini.serve_model("gemini-3.8-flash")
    worker_handler._runner.cache_clear()
    return providers


def _emitted_metrics(output: str) -> dict[str, float]:
    """Metric name -> value from the EMF lines Powertools printed."""
    values: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for definition in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = document[definition["Name"]]
                values[definition["Name"]] = sum(value) if isinstance(value, list) else value
    return values


def test_openai_job_sends_max_completion_tokens_with_reasoning_room_and_its_effort(
    aws: Aws, live_models: Providers
) -> None:
    # Given an extract job on gpt-6-luna, configured for a 2,000-token answer at high effort
    job_id = submit(OPENAI_BYOK)

    # When the worker runs it
    deliver(aws)

    # Then the call carried only parameters luna takes, the cap leaving room for high reasoning
    [request] = live_models.openai.requests
    body = request.body
    assert body["model"] == "gpt-6-luna"
    assert body["reasoning_effort"] == "high"
    assert body["max_completion_tokens"] == 2000 + REASONING_BUDGET["high"]
    assert not {"max_tokens", "temperature", "top_p"} & set(body)
    # And the job succeeded although high reasoning alone is more than the answer budget
    item = job(aws, job_id)
    assert item["status"] == "succeeded", item.get("error")
    assert item["model"] == "gpt-6-luna"
    # With the reasoning tokens reported apart from, and included in, the output tokens
    usage = item["usage"]
    assert usage["reasoning_tokens"] > 2000
    assert usage["output_tokens"] > usage["reasoning_tokens"]


def test_gemini_job_sends_max_output_tokens_and_a_thinking_level_the_model_takes(
    aws: Aws, live_models: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given extract configured at minimal effort, which 3.8 Flash does not take as MINIMAL
    monkeypatch.setenv("JOB_SETTINGS", json.dumps({"extract": {"answerTokens": 6000, "effort": "minimal"}}))
    worker_handler._runner.cache_clear()
    job_id = submit(GEMINI_BYOK)

    # When the worker runs it
    deliver(aws)

    # Then 3.8 Flash was asked for its lowest level, LOW, with room for it in the cap
    [request] = live_models.gemini.requests
    config = request.body["generationConfig"]
    assert request.path == "/v1beta/models/gemini-3.8-flash:generateContent"
    assert config["thinkingConfig"] == {"thinkingLevel": "LOW"}
    assert config["maxOutputTokens"] == 6000 + REASONING_BUDGET["low"]
    assert not {"temperature", "topP", "topK"} & set(config)
    item = job(aws, job_id)
    assert item["status"] == "succeeded", item.get("error")
    assert item["usage"]["reasoning_tokens"] > 0


def test_a_job_type_runs_on_its_own_lighter_model(
    aws: Aws, live_models: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given extract configured on the lite Gemini model at minimal effort
    monkeypatch.setenv(
        "JOB_SETTINGS", json.dumps({"extract": {"geminiModel": "gemini-3.5-flash-lite", "effort": "minimal"}})
    )
    live_models.gemini.serve_model("gemini-3.5-flash-lite")
    worker_handler._runner.cache_clear()
    job_id = submit(GEMINI_BYOK)

    # When the worker runs it
    deliver(aws)

    # Then the lite model was called with MINIMAL, which it takes, and the job records it
    [request] = live_models.gemini.requests
    assert request.path == "/v1beta/models/gemini-3.5-flash-lite:generateContent"
    assert request.body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "MINIMAL"}
    item = job(aws, job_id)
    assert (item["status"], item["model"]) == ("succeeded", "gemini-3.5-flash-lite")


@pytest.mark.parametrize(("headers", "provider"), [(OPENAI_BYOK, "openai"), (GEMINI_BYOK, "gemini")])
def test_a_retired_model_fails_the_job_at_once_counted_and_named(
    aws: Aws,
    live_models: Providers,
    logs: Logs,
    capsys: pytest.CaptureFixture[str],
    headers: dict[str, str],
    provider: str,
) -> None:
    # Given the provider has shut the configured model down
    fake = live_models.openai if provider == "openai" else live_models.gemini
    model = "gpt-6-luna" if provider == "openai" else "gemini-3.8-flash"
    fake.retire_model(model)
    job_id = submit(headers)

    # When the worker runs the job
    deliver(aws)

    # Then it failed at once with model_not_found: one call, no retry, nothing left on the queue
    item = job(aws, job_id)
    assert item["status"] == "failed"
    assert item["error"]["code"] == "model_not_found"
    assert len(fake.requests) == 1
    assert aws.receive() == []
    # And the log line names the model and the environment
    [line] = [json.loads(entry) for entry in logs.text.splitlines() if '"job failed"' in entry]
    assert (line["code"], line["model"], line["environment"]) == ("model_not_found", model, "staging")
    # And it counted in its own metric
    assert _emitted_metrics(capsys.readouterr().out).get("ModelNotFound") == 1


def test_other_failures_do_not_count_as_model_not_found(
    aws: Aws, live_models: Providers, capsys: pytest.CaptureFixture[str]
) -> None:
    live_models.openai.fail_next(429, times=5)
    submit(OPENAI_BYOK)

    deliver(aws)

    metrics: dict[str, Any] = _emitted_metrics(capsys.readouterr().out)
    assert metrics.get("JobsRetried") == 1
    assert "ModelNotFound" not in metrics
