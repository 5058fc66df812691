"""cdk.json's security settings are validated before anything is synthesized."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import CDK_JSON, ConfigError, environment_config

ENVIRONMENTS: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]["environments"]


def _dev(**changes: Any) -> dict[str, Any]:
    return {"dev": {**ENVIRONMENTS["dev"], **changes}}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"systemPathEnabled": True, "systemBudget": None}, "systemPathEnabled needs systemBudget"),
        (
            {"systemBudget": {"dailyJobs": 10, "dailyJobsPerApiKey": 20, "dailyJobsPerUser": 5}},
            "dailyJobsPerUser <= dailyJobsPerApiKey <= dailyJobs",
        ),
        ({"systemBudget": {"dailyJobs": 0, "dailyJobsPerApiKey": 0, "dailyJobsPerUser": 0}}, "dailyJobs"),
        ({"apiKeys": ["frontend", "frontend"]}, "apiKeys must be unique"),
        ({"apiKeys": ["front end"]}, "letters, digits"),
        ({"apiKeys": []}, "apiKeys"),
        ({"identity": {"issuer": "http://idp.example.com", "audience": "app"}}, "https"),
        ({"identity": {"issuer": "https://idp.example.com"}}, "audience"),
        ({"waf": {"enabled": True, "requestsPerFiveMinutesPerIp": 5}}, "requestsPerFiveMinutesPerIp"),
    ],
)
def test_unsafe_or_malformed_security_settings_stop_the_synth(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        environment_config(_dev(**changes), "dev")


def test_an_environment_without_the_system_path_needs_no_budget() -> None:
    config = environment_config(_dev(systemPathEnabled=False, systemBudget=None), "dev")
    assert config.system_budget is None


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_every_environment_states_its_security_settings(name: str) -> None:
    # So a reader of cdk.json sees each choice, not a default hidden in code
    for setting in ("systemPathEnabled", "systemBudget", "apiKeys", "identity", "waf"):
        assert setting in ENVIRONMENTS[name], (name, setting)


def test_prod_spends_the_system_key_only_within_budgets_behind_a_web_acl() -> None:
    prod = ENVIRONMENTS["prod"]
    assert prod["systemPathEnabled"] is True
    assert prod["systemBudget"]["dailyJobsPerUser"] <= prod["systemBudget"]["dailyJobsPerApiKey"]
    assert prod["waf"]["enabled"] is True
