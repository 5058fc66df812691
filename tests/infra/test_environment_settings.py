"""Per-environment settings in cdk.json: each one validated before anything is deployed, documented
in the README's settings table, and applied to the stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.config import CDK_JSON, ConfigError, EnvironmentConfig, environment_config
from tests.infra.synth import Synth

ENVIRONMENTS: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]["environments"]
README = Path(__file__).resolve().parents[2] / "README.md"


def _dev_with(**settings: Any) -> dict[str, Any]:
    return {"dev": {**ENVIRONMENTS["dev"], **settings}}


def test_every_setting_is_in_the_readmes_settings_table() -> None:
    # Given the names cdk.json takes (the aliases of EnvironmentConfig)
    settings = {field.alias for name, field in EnvironmentConfig.model_fields.items() if name != "name"}

    # When the README's settings table is read (its first column)
    table = re.search(r"\| setting \(`cdk.json`\) \|.*?\n\n", README.read_text(encoding="utf-8"), re.S)
    assert table is not None, "README has no settings table"
    documented = set(
        re.findall(
            r"`([A-Za-z][A-Za-z0-9]*)",
            "\n".join(line.split("|")[1] for line in table[0].splitlines() if line.startswith("|")),
        )
    )

    # Then every setting has its row
    assert settings - documented == set()


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_every_environment_names_every_operational_setting(name: str) -> None:
    # So that a reader of cdk.json sees each environment's choice, not a default hidden in code
    for setting in ("workerReservedConcurrency", "logLevel", "alarmEmail", "alarmThresholds", "retainData"):
        assert setting in ENVIRONMENTS[name], (name, setting)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"workerReservedConcurrency": 3, "workerMaxConcurrency": 5}, "below workerMaxConcurrency"),
        ({"alarmEmail": "not an address"}, "alarmEmail"),
        ({"logLevel": "VERBOSE"}, "logLevel"),
        ({"alarmThresholds": {"oldestMessageSeconds": 5}}, "oldestMessageSeconds"),
        ({"alarmThresholds": {"api5xxPercent": 0}}, "api5xxPercent"),
        ({"alarmThresholds": {"unknownThreshold": 1}}, "unknownThreshold"),
        ({"logRetentionDays": 10}, "logRetentionDays"),
    ],
)
def test_a_setting_out_of_range_stops_the_synth_naming_it(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        environment_config(_dev_with(**settings), "dev")


def test_thresholds_an_environment_does_not_name_keep_their_defaults() -> None:
    config = environment_config(_dev_with(alarmThresholds={"apiP95Ms": 1500}), "dev")

    assert config.alarm_thresholds.api_p95_ms == 1500
    assert config.alarm_thresholds.oldest_message_seconds == 600
    assert config.alarm_thresholds.job_failure_percent == 10.0


def test_reserved_concurrency_at_least_the_event_sources_maximum_is_accepted() -> None:
    config = environment_config(_dev_with(workerReservedConcurrency=5, workerMaxConcurrency=5), "dev")

    assert config.worker_reserved_concurrency == 5


def test_the_log_level_and_reserved_concurrency_reach_the_functions(dev: Synth) -> None:
    functions = [
        r["Properties"]
        for r in dev.template.to_json()["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]
    assert {f["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"] for f in functions} == {
        dev.config.log_level
    }
    worker = dev.resource(dev.stack.worker.function)["Properties"]
    # dev reserves nothing: the worker shares the account's pool
    assert dev.config.worker_reserved_concurrency is None
    assert "ReservedConcurrentExecutions" not in worker
