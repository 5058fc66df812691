"""Per-environment settings in cdk.json: each one validated before anything is deployed, documented
in the README's settings table, and applied to the stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cv_jobs.settings import SweeperSettings
from cv_jobs.sweeper.rules import StaleRules
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
        # The limits of each range, one step outside
        ({"jobTtlHours": 0}, r"jobTtlHours\s+Input should be greater than or equal to 1"),
        ({"jobTtlHours": 721}, r"jobTtlHours\s+Input should be less than or equal to 720"),
        ({"workerBatchSize": 11}, r"workerBatchSize\s+Input should be less than or equal to 10"),
        ({"workerMaxConcurrency": 1}, r"workerMaxConcurrency\s+Input should be greater than or equal to 2"),
        ({"maxReceiveCount": 1}, r"maxReceiveCount\s+Input should be greater than or equal to 2"),
        ({"maxReceiveCount": 11}, r"maxReceiveCount\s+Input should be less than or equal to 10"),
        ({"workerTimeoutSeconds": 9}, r"workerTimeoutSeconds\s+Input should be greater than or equal to 10"),
        ({"workerTimeoutSeconds": 901}, r"workerTimeoutSeconds\s+Input should be less than or equal to 900"),
        (
            {"apiThrottle": {**ENVIRONMENTS["dev"]["apiThrottle"], "rateLimit": 0}},
            r"apiThrottle.rateLimit\s+Input should be greater than 0",
        ),
        ({"apiQuotaPerDay": 0}, r"apiQuotaPerDay\s+Input should be greater than 0"),
        # A TTL that a job can outlive (the sweeper's bound, docs/reliability.md) or barely outlast
        ({"jobTtlHours": 1}, r"jobTtlHours 1: a job may stay open up to 58 min .* at least 2\b"),
        (
            {"jobTtlHours": 1, "workerTimeoutSeconds": 150},
            r"jobTtlHours 1: a job may stay open up to 1 h 10 min .* at least 3\b",
        ),
        (
            {"jobTtlHours": 1, "maxReceiveCount": 10},
            r"jobTtlHours 1: a job may stay open up to 2 h 10 min .* at least 4\b",
        ),
        # above the bound, but a job ending last would be readable for less than the hour
        (
            {"jobTtlHours": 3, "maxReceiveCount": 10},
            r"jobTtlHours 3: a job may stay open up to 2 h 10 min .* at least 4\b",
        ),
        (
            {"jobTtlHours": 12, "maxReceiveCount": 10, "workerTimeoutSeconds": 900},
            r"jobTtlHours 12: a job may stay open up to 15 h 23 min .* at least 17\b",
        ),
    ],
)
def test_a_setting_out_of_range_stops_the_synth_naming_it(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        environment_config(_dev_with(**settings), "dev")


@pytest.mark.parametrize(
    ("settings", "bound_seconds"),
    [
        ({"jobTtlHours": 2}, 3_450),
        ({"jobTtlHours": 3, "workerTimeoutSeconds": 150}, 4_200),
        ({"jobTtlHours": 4, "maxReceiveCount": 10}, 7_770),
        ({"jobTtlHours": 17, "maxReceiveCount": 10, "workerTimeoutSeconds": 900}, 55_350),
    ],
)
def test_a_ttl_an_hour_past_the_sweepers_bound_is_accepted(
    settings: dict[str, Any], bound_seconds: int
) -> None:
    # Given settings whose TTL leaves at least an hour after the longest a job can stay open
    # When they are validated
    config = environment_config(_dev_with(**settings), "dev")

    # Then they pass, and the bound is the sweeper's: R·V + T + lease grace + margin + sweep interval
    assert config.job_bound.seconds == bound_seconds
    assert config.job_ttl_seconds >= bound_seconds + 3600


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"workerTimeoutSeconds": 150},
        {"maxReceiveCount": 10},
        {"workerTimeoutSeconds": 10, "maxReceiveCount": 2},
    ],
)
def test_the_ttl_rule_reckons_with_the_sweepers_own_rules(settings: dict[str, Any]) -> None:
    # Given an environment and the stale rules its sweeper would run with (the stack's values, the
    # cloud's lease grace: the stack leaves the sweeper's default)
    config = environment_config(_dev_with(**settings), "dev")
    sweeper = SweeperSettings(
        JOBS_TABLE_NAME="jobs",
        MAX_ATTEMPTS=config.worker_max_attempts,
        MAX_RECEIVE_COUNT=config.max_receive_count,
        QUEUE_VISIBILITY_SECONDS=config.queue_visibility_timeout_seconds,
        WORKER_TIMEOUT_SECONDS=config.worker_timeout_seconds,
        STALE_MARGIN_SECONDS=config.stale_margin_seconds,
    )

    # When both bounds are computed
    rules = StaleRules.of(sweeper)

    # Then the settings check uses the very bound the sweeper guarantees
    assert config.job_bound.seconds == rules.bound_seconds(config.sweep_interval_minutes * 60)


def test_the_bound_the_ttl_is_checked_against_is_the_deployed_sweepers(dev: Synth) -> None:
    # Given the sweeper as dev deploys it: its environment and its schedule
    sweeper = dev.resource(dev.stack.sweeper.function)["Properties"]["Environment"]["Variables"]
    schedule = dev.resource(dev.stack.sweeper.schedule)["Properties"]["ScheduleExpression"]
    interval = re.fullmatch(r"rate\((\d+) minutes?\)", schedule)
    assert interval is not None

    # When its stale rules are read from them as its handler reads them
    rules = StaleRules.of(SweeperSettings.from_env({**sweeper, "JOBS_TABLE_NAME": "jobs"}))

    # Then the TTL check's bound is the deployed sweeper's, and dev's TTL outlasts it by the hour
    assert dev.config.job_bound.seconds == rules.bound_seconds(int(interval[1]) * 60)
    assert dev.config.job_ttl_seconds >= dev.config.job_bound.seconds + 3600


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_every_environment_keeps_its_jobs_readable_past_the_sweepers_bound(name: str) -> None:
    # Given an environment of cdk.json; When it is validated; Then it passes the TTL rule
    config = environment_config(ENVIRONMENTS, name)

    assert config.job_ttl_seconds >= config.job_bound.seconds + 3600


@pytest.mark.parametrize(
    ("origins", "message"),
    [
        (["*"], r"corsAllowedOrigins: '\*' would let every site"),
        ([""], r"corsAllowedOrigins: '' is not an origin"),
        (["app.example.com"], r"corsAllowedOrigins: 'app.example.com' is not an origin"),
        (["https://app.example.com/"], r"corsAllowedOrigins: 'https://app.example.com/' is not an origin"),
        (["https://app.example.com/app"], r"'https://app.example.com/app' is not an origin"),
        (["https://app.example.com?v=1"], r"'https://app.example.com\?v=1' is not an origin"),
        (["https://app.example.com#top"], r"'https://app.example.com#top' is not an origin"),
        (["https://user@app.example.com"], r"'https://user@app.example.com' is not an origin"),
        (["https://*.example.com"], r"'https://\*.example.com' is not an origin"),
        ([" https://app.example.com"], r"' https://app.example.com' is not an origin"),
        (["https://app.example.com:99999"], r"'https://app.example.com:99999' is not an origin"),
        (
            ["https://app.example.com:443"],
            r"corsAllowedOrigins: 'https://app.example.com:443' names the default",
        ),
        (["http://localhost:80"], r"corsAllowedOrigins: 'http://localhost:80' names the default"),
        (["https://App.Example.com"], r"corsAllowedOrigins: 'https://App.Example.com'.* lower case"),
        (["http://app.example.com"], r"corsAllowedOrigins: 'http://app.example.com' must use https"),
        (["ftp://app.example.com"], r"corsAllowedOrigins: 'ftp://app.example.com' is not an origin"),
        (
            ["https://app.example.com", "http://localhost:5173", "https://app.example.com"],
            r"corsAllowedOrigins: 'https://app.example.com' is listed twice",
        ),
    ],
)
def test_an_origin_no_browser_would_send_stops_the_synth_naming_it(origins: list[str], message: str) -> None:
    # Given origins a browser's Origin header (scheme://host[:port], compared exactly) never equals,
    # or that open the API to every site
    # When the environment is validated
    # Then the synth stops naming the setting and the origin
    with pytest.raises(ConfigError, match=message):
        environment_config(_dev_with(corsAllowedOrigins=origins), "dev")


def test_origins_as_browsers_send_them_are_accepted() -> None:
    # Given origins in the exact form of an Origin header (http for the local machine only)
    origins = [
        "https://app.example.com",
        "https://admin.example.com:8443",
        "https://203.0.113.7",
        "https://xn--bcher-kva.example",
        "http://localhost",
        "http://localhost:5173",
        "http://127.0.0.1:5173",
    ]

    # When the environment is validated
    config = environment_config(_dev_with(corsAllowedOrigins=origins), "dev")

    # Then every origin is kept, as written and in order
    assert config.cors_allowed_origins == tuple(origins)


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
