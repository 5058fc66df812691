"""The system key cannot be drained: daily budgets per environment, per API key and per user, spent
atomically, refused with 429 system_budget_exhausted and Retry-After."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from cv_jobs.api import handler as api_handler
from cv_jobs.aws.system_budget import BudgetSettings, SystemBudget
from cv_jobs.errors import SystemBudgetExhausted
from tests.unit.conftest import CANARY_OPENAI_KEY, Aws
from tests.unit.events import api_context, api_event
from tests.unit.samples import sample

NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC).timestamp()


def _budget(aws: Aws, *, environment: int = 100, key: int = 100, user: int = 100, now: float = NOON) -> Any:
    return SystemBudget(
        boto3.client("dynamodb", region_name="us-east-1"),
        "budgets",
        daily_jobs=environment,
        daily_jobs_per_api_key=key,
        daily_jobs_per_user=user,
        clock=lambda: now,
    )


def _create(key_id: str, headers: dict[str, str] | None = None, user: str | None = None) -> dict[str, Any]:
    event = api_event(
        "POST", "/ai/jobs/extract", body={"cv_text": sample("cv_backend_engineer.txt")}, headers=headers
    )
    event["requestContext"]["identity"]["apiKeyId"] = key_id
    if user:
        event["requestContext"]["authorizer"] = {"sub": user}
    response: dict[str, Any] = api_handler.lambda_handler(event, api_context())
    return response


@pytest.fixture
def tight(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Aws:
    """Budgets of 3 jobs a day for the environment, 2 per API key, 1 per user."""
    monkeypatch.setenv("SYSTEM_BUDGET_DAILY_JOBS", "3")
    monkeypatch.setenv("SYSTEM_BUDGET_DAILY_JOBS_PER_API_KEY", "2")
    monkeypatch.setenv("SYSTEM_BUDGET_DAILY_JOBS_PER_USER", "1")
    api_handler._app.cache_clear()
    return aws


def test_a_client_past_its_budget_gets_429_with_retry_after_until_midnight_utc(tight: Aws) -> None:
    # Given key A has spent its two system-path jobs today
    assert [_create("key-a")["statusCode"] for _ in range(2)] == [202, 202]

    # When it sends a third
    refused = _create("key-a")

    # Then it is refused with our code, a Retry-After within a day, and nothing is recorded for it
    assert refused["statusCode"] == 429
    body = json.loads(refused["body"])
    assert body["error"]["code"] == "system_budget_exhausted"
    assert "X-User-Api-Key" in body["detail"]
    [retry_after] = [int(value) for value in refused["multiValueHeaders"]["Retry-After"]]
    assert 0 < retry_after <= 86_400
    assert len([i for i in tight.scan_items() if i["status"] == "queued"]) == 2


def test_the_environment_budget_binds_all_clients_together(tight: Aws) -> None:
    # Given keys A and B spent 2 + 1 system-path jobs: the environment's 3
    statuses = [_create(key)["statusCode"] for key in ("key-a", "key-a", "key-b")]

    # When key C, which has spent nothing, sends one
    refused = _create("key-c")

    # Then it is refused too
    assert statuses == [202, 202, 202]
    assert refused["statusCode"] == 429


def test_byok_jobs_do_not_spend_the_system_budget(tight: Aws) -> None:
    # Given key A spent its system-path budget
    assert [_create("key-a")["statusCode"] for _ in range(3)] == [202, 202, 429]

    # When it sends jobs with its own key
    byok = {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY}

    # Then they are accepted
    assert [_create("key-a", byok)["statusCode"] for _ in range(3)] == [202, 202, 202]


def test_with_identity_each_user_has_its_own_budget(tight: Aws) -> None:
    # Given alice spent her one job through key A
    assert _create("key-a", user="alice")["statusCode"] == 202

    # When alice and then bob (same key) send another
    alice, bob = _create("key-a", user="alice"), _create("key-a", user="bob")

    # Then alice is refused and bob is not
    assert alice["statusCode"] == 429
    assert bob["statusCode"] == 202


def test_a_refused_job_spends_nothing_from_the_other_budgets(aws: Aws) -> None:
    # Given a budget where key A has 1 job and the environment 10
    budget = _budget(aws, environment=10, key=1)
    budget.spend(["key#a"])

    # When key A is refused twice, then nine other keys spend one each
    for _ in range(2):
        with pytest.raises(SystemBudgetExhausted):
            budget.spend(["key#a"])
    for index in range(9):
        budget.spend([f"key#b{index}"])

    # Then the environment's tenth job was the last: the refusals took nothing from it
    with pytest.raises(SystemBudgetExhausted):
        budget.spend(["key#c"])


class _SerializableTransactions:
    """A DynamoDB client whose transactions run one at a time, as DynamoDB's are serializable.

    moto does not isolate them: a transaction that fails restores the whole table from a copy taken
    when it began, erasing what other threads wrote meanwhile (this test once granted 8 of 5). With
    DynamoDB's guarantee given back, what is left to prove is ours: the conditions and the one
    transaction per request grant exactly the budget, however the requests interleave."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def transact_write_items(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_concurrent_requests_never_overshoot_the_budget(aws: Aws) -> None:
    # Given a budget of 5 and 20 requests at once, on transactions as DynamoDB runs them
    budget = SystemBudget(
        _SerializableTransactions(boto3.client("dynamodb", region_name="us-east-1")),
        "budgets",
        daily_jobs=5,
        daily_jobs_per_api_key=100,
        daily_jobs_per_user=100,
        clock=lambda: NOON,
    )

    def attempt(_: int) -> bool:
        try:
            budget.spend(["key#a"])
        except SystemBudgetExhausted:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = sum(pool.map(attempt, range(20)))

    # Then exactly 5 were granted
    assert granted == 5


def test_a_new_utc_day_starts_a_new_budget(aws: Aws) -> None:
    _budget(aws, key=1).spend(["key#a"])
    with pytest.raises(SystemBudgetExhausted) as refused:
        _budget(aws, key=1).spend(["key#a"])
    assert refused.value.retry_after_seconds == 12 * 3600 + 1

    _budget(aws, key=1, now=NOON + 12 * 3600 + 1).spend(["key#a"])  # the next day


def test_the_system_path_without_budget_settings_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="budget is not configured"):
        BudgetSettings.from_env({"SYSTEM_PATH_ENABLED": "true"})
    assert BudgetSettings.from_env({"SYSTEM_PATH_ENABLED": "false"}).table_name is None
