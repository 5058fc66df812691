"""Daily budgets of jobs on the system key, so no caller can drain the operator's OpenAI account.

One atomic counter per scope and UTC day in DynamoDB: the environment's, the calling API key's and,
when identity is on, the end user's. A system-path job spends one unit of each in a single
transaction whose every update is conditional on its counter being under its limit: either all
counters move or none does, so a refused job costs nothing and concurrent requests cannot overshoot.
Counters expire (TTL) two days after their day. A spend retried after a lost answer carries its
first try's request token, so DynamoDB runs the transaction once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field, model_validator

from cv_jobs.errors import SystemBudgetExhausted
from cv_jobs.observability import logger, metrics
from cv_jobs.settings import _FromEnv

PARTITION_KEY = "counter"
TTL_ATTRIBUTE = "ttl"
ENVIRONMENT_SCOPE = "environment"
_KEEP_SECONDS = 2 * 86_400


class BudgetSettings(_FromEnv):
    """The api's budget settings (cdk.json `systemBudget`). Required whenever the system path is on:
    without them the api refuses to start rather than spend without limit."""

    system_path_enabled: bool = Field(alias="SYSTEM_PATH_ENABLED", default=False)
    table_name: str | None = Field(alias="SYSTEM_BUDGET_TABLE_NAME", default=None, min_length=1)
    daily_jobs: int | None = Field(alias="SYSTEM_BUDGET_DAILY_JOBS", default=None, ge=1)
    daily_jobs_per_api_key: int | None = Field(
        alias="SYSTEM_BUDGET_DAILY_JOBS_PER_API_KEY", default=None, ge=1
    )
    daily_jobs_per_user: int | None = Field(alias="SYSTEM_BUDGET_DAILY_JOBS_PER_USER", default=None, ge=1)

    @model_validator(mode="after")
    def _complete_when_the_system_path_is_on(self) -> BudgetSettings:
        if self.system_path_enabled and None in (
            self.table_name,
            self.daily_jobs,
            self.daily_jobs_per_api_key,
            self.daily_jobs_per_user,
        ):
            raise ValueError(
                "the system path is on but its budget is not configured: set SYSTEM_BUDGET_TABLE_NAME, "
                "SYSTEM_BUDGET_DAILY_JOBS, SYSTEM_BUDGET_DAILY_JOBS_PER_API_KEY and "
                "SYSTEM_BUDGET_DAILY_JOBS_PER_USER (cdk.json systemBudget)"
            )
        return self


class SystemBudget:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        daily_jobs: int,
        daily_jobs_per_api_key: int,
        daily_jobs_per_user: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`dynamodb`: a low-level DynamoDB client (transactions are not a table operation)."""
        self._dynamodb = dynamodb
        self._table_name = table_name
        self._limits = {"environment": daily_jobs, "key": daily_jobs_per_api_key, "user": daily_jobs_per_user}
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: BudgetSettings, dynamodb: Any) -> SystemBudget | None:
        if not settings.system_path_enabled:
            return None
        # The settings' validator guarantees all four once the system path is on.
        return cls(
            dynamodb,
            str(settings.table_name),
            daily_jobs=int(settings.daily_jobs or 0),
            daily_jobs_per_api_key=int(settings.daily_jobs_per_api_key or 0),
            daily_jobs_per_user=int(settings.daily_jobs_per_user or 0),
        )

    def spend(self, client_scopes: Sequence[str], *, request_token: str | None = None) -> None:
        """Take one job from the environment's budget and each client scope's ("key#<id>",
        "user#<sub>"), or raise SystemBudgetExhausted (429, Retry-After: the next UTC midnight).
        `request_token` (up to 36 characters): the same for every try of one request, so a try whose
        answer was lost and the retry after it spend once (DynamoDB's idempotency window: 10 min)."""
        now = self._clock()
        day = datetime.fromtimestamp(now, UTC).date()
        scopes = [ENVIRONMENT_SCOPE, *client_scopes]
        expires = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + _KEEP_SECONDS
        token = {"ClientRequestToken": request_token} if request_token else {}
        try:
            self._dynamodb.transact_write_items(
                TransactItems=[self._increment(scope, day.isoformat(), expires) for scope in scopes], **token
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            spent = [
                scope.split("#", 1)[0]
                for scope, reason in zip(scopes, reasons, strict=False)
                if reason.get("Code") == "ConditionalCheckFailed"
            ]
            if not spent:
                raise
            metrics.add_metric(name="SystemBudgetExhausted", unit="Count", value=1)
            # Which budget, never whose: the scopes hold API key ids and user ids.
            logger.warning("system budget exhausted", extra={"budgets": spent})
            raise SystemBudgetExhausted(
                "Today's budget for jobs without your own key is spent.",
                retry_after_seconds=_seconds_to_next_utc_day(now),
                detail=(
                    "Jobs that run on the service's key are limited per day. Send your own key "
                    "(X-User-Provider and X-User-Api-Key), or try again after midnight UTC."
                ),
            ) from None

    def _increment(self, scope: str, day: str, expires: int) -> dict[str, Any]:
        limit = self._limits[scope.split("#", 1)[0]]
        return {
            "Update": {
                "TableName": self._table_name,
                "Key": {PARTITION_KEY: {"S": f"{scope}#{day}"}},
                "UpdateExpression": "ADD used :one SET #ttl = :ttl",
                "ConditionExpression": "attribute_not_exists(used) OR used < :limit",
                "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":ttl": {"N": str(expires)},
                },
            }
        }


def _seconds_to_next_utc_day(now: float) -> int:
    today = datetime.fromtimestamp(now, UTC).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    return max(1, int(midnight.timestamp() - now) + 1)
