"""Per-environment settings, read from `cdk.json` context (`context.environments.<name>`).

The stack and local mode both read their settings through this module, so a limit changed in
`cdk.json` changes the cloud and the local stack alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


# The retention periods CloudWatch Logs accepts (RetentionInDays).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


class ConfigError(ValueError):
    """The requested environment is unknown or its settings are invalid."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ApiThrottle(_Model):
    rate_limit: float = Field(alias="rateLimit", gt=0)
    burst_limit: int = Field(alias="burstLimit", gt=0)


class EnvironmentConfig(_Model):
    name: str
    cors_allowed_origins: tuple[str, ...] = Field(alias="corsAllowedOrigins", min_length=1)
    openai_model: str = Field(alias="openaiModel", min_length=1)
    gemini_model: str = Field(alias="geminiModel", min_length=1)
    system_path_enabled: bool = Field(alias="systemPathEnabled")
    job_ttl_hours: int = Field(alias="jobTtlHours", ge=1, le=24 * 30)
    api_throttle: ApiThrottle = Field(alias="apiThrottle")
    api_quota_per_day: int = Field(alias="apiQuotaPerDay", gt=0)
    worker_timeout_seconds: int = Field(alias="workerTimeoutSeconds", ge=10, le=900)
    worker_batch_size: int = Field(alias="workerBatchSize", ge=1, le=10)
    worker_max_concurrency: int = Field(alias="workerMaxConcurrency", ge=2, le=1000)
    max_receive_count: int = Field(alias="maxReceiveCount", ge=2, le=10)
    log_retention_days: int = Field(alias="logRetentionDays", ge=1)
    alarm_email: str | None = Field(alias="alarmEmail", default=None)
    retain_data: bool = Field(alias="retainData")

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {LOG_RETENTION_DAYS} days")
        return days

    @property
    def job_ttl_seconds(self) -> int:
        return self.job_ttl_hours * 3600

    @property
    def worker_max_attempts(self) -> int:
        # One delivery fewer than SQS allows: if the worker crashes or times out on every attempt,
        # the last delivery still finds the job and fails it, instead of the message reaching the
        # DLQ with the job stuck in `processing`.
        return self.max_receive_count - 1

    @property
    def queue_visibility_timeout_seconds(self) -> int:
        # AWS's guidance for SQS event sources: at least six times the function timeout, so a
        # message is not redelivered while a throttled or retried invocation still holds it.
        return 6 * self.worker_timeout_seconds


def environment_config(environments: Any, name: str | None) -> EnvironmentConfig:
    """Select and validate one environment from the `environments` context object."""
    if not isinstance(environments, dict) or not environments:
        raise ConfigError("cdk.json context has no 'environments' object")
    known = ", ".join(sorted(environments))
    if not name:
        raise ConfigError(f"choose an environment with -c env=<name> (known: {known})")
    if name not in environments:
        raise ConfigError(f"unknown environment {name!r} (known: {known})")
    try:
        return EnvironmentConfig(name=name, **environments[name])
    except ValidationError as error:
        raise ConfigError(f"invalid settings for environment {name!r}: {error}") from error


def environment_config_from_file(name: str, path: Path = CDK_JSON) -> EnvironmentConfig:
    """Local mode's entry: the same settings the stack would deploy with."""
    context = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    return environment_config(context.get("environments"), name)
