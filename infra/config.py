"""Per-environment settings, read from `cdk.json` context (`context.environments.<name>`).

The stack and local mode both read their settings through this module, so a limit changed in
`cdk.json` changes the cloud and the local stack alike. Per-job model settings are checked against
the Lambda code's own definitions (the job-type registry and the model-family table), so a job type
that does not exist or a cap a model cannot produce stops the synth instead of failing jobs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"
FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
# The CDK app reads the one definition of job types and model settings: the Lambda code's.
if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.append(str(FUNCTIONS_DIR))

from cv_jobs.credentials import Provider  # noqa: E402
from cv_jobs.jobs import LEASE_GRACE_SECONDS  # noqa: E402
from cv_jobs.llm.capabilities import capabilities  # noqa: E402
from cv_jobs.llm.job_settings import (  # noqa: E402
    JobSetting,
    job_settings_json,
    parse_job_settings,
    plan_call,
)
from cv_jobs.sweeper.rules import StaleRules  # noqa: E402
from infra.config_rules import JobBound, check_cors_origins, check_ttl_outlasts  # noqa: E402
from infra.security_config import Identity, SystemBudget, Waf, validate_api_keys  # noqa: E402

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


class AlarmThresholds(_Model):
    """When the alarms fire (infra/constructs/monitoring.py); each has a default, so an environment
    names only the ones it tunes."""

    # The oldest message waiting in the jobs queue: jobs wait although the worker should be taking them.
    oldest_message_seconds: int = Field(alias="oldestMessageSeconds", default=600, ge=60, le=86_400)
    # Share of API requests answered 5XX over 5 minutes.
    api_5xx_percent: float = Field(alias="api5xxPercent", default=5.0, gt=0, le=100)
    # API Gateway's p95 latency over 5 minutes (the api only validates, seals and queues).
    api_p95_ms: int = Field(alias="apiP95Ms", default=2_000, ge=100, le=29_000)
    # Share of finished jobs that failed with provider_unavailable or internal_error over 15 minutes.
    job_failure_percent: float = Field(alias="jobFailurePercent", default=10.0, gt=0, le=100)
    # Worker invocation errors (crashes, timeouts) tolerated in 5 minutes; one more fires the alarm.
    # A job's own failure is not an invocation error.
    worker_errors: int = Field(alias="workerErrors", default=0, ge=0)


class EnvironmentConfig(_Model):
    name: str
    cors_allowed_origins: tuple[str, ...] = Field(alias="corsAllowedOrigins", min_length=1)
    openai_model: str = Field(alias="openaiModel", min_length=1)
    gemini_model: str = Field(alias="geminiModel", min_length=1)
    # Per job type (registry names): model per provider, answer budget, reasoning effort.
    job_settings: dict[str, JobSetting] = Field(alias="jobSettings", default_factory=dict)
    system_path_enabled: bool = Field(alias="systemPathEnabled")
    # Daily budgets of jobs on the system key; required when the system path is on.
    system_budget: SystemBudget | None = Field(alias="systemBudget", default=None)
    # One API key per frontend or tenant (names); each owns the jobs it creates.
    api_keys: tuple[str, ...] = Field(alias="apiKeys", default=("frontend",), min_length=1)
    # End-user identity (OIDC issuer and audience); None: jobs are owned by API key alone.
    identity: Identity | None = Field(alias="identity", default=None)
    waf: Waf = Field(alias="waf", default_factory=lambda: Waf(enabled=False))
    job_ttl_hours: int = Field(alias="jobTtlHours", ge=1, le=24 * 30)
    api_throttle: ApiThrottle = Field(alias="apiThrottle")
    api_quota_per_day: int = Field(alias="apiQuotaPerDay", gt=0)
    worker_timeout_seconds: int = Field(alias="workerTimeoutSeconds", ge=10, le=900)
    worker_batch_size: int = Field(alias="workerBatchSize", ge=1, le=10)
    worker_max_concurrency: int = Field(alias="workerMaxConcurrency", ge=2, le=1000)
    max_receive_count: int = Field(alias="maxReceiveCount", ge=2, le=10)
    log_retention_days: int = Field(alias="logRetentionDays", ge=1)
    alarm_email: str | None = Field(alias="alarmEmail", default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    alarm_thresholds: AlarmThresholds = Field(alias="alarmThresholds", default_factory=AlarmThresholds)
    # Removal policy of the data (table, log groups, alarm key): retained on stack deletion when true.
    retain_data: bool = Field(alias="retainData")
    # Executions kept for the worker alone (none: it shares the account's pool).
    worker_reserved_concurrency: int | None = Field(alias="workerReservedConcurrency", default=None, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(alias="logLevel", default="INFO")

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {LOG_RETENTION_DAYS} days")
        return days

    @field_validator("job_settings", mode="before")
    @classmethod
    def _parse_job_settings(cls, value: object) -> object:
        return parse_job_settings(value)

    @field_validator("job_settings")
    @classmethod
    def _registered_job_types(
        cls, settings: dict[str, JobSetting], info: ValidationInfo
    ) -> dict[str, JobSetting]:
        known = (info.context or {}).get("job_types")
        if known is None:
            known = registered_job_types()
        unknown = sorted(set(settings) - set(known))
        if unknown:
            raise ValueError(f"unknown job types {unknown} (the registry has: {', '.join(sorted(known))})")
        return settings

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins_as_browsers_send_them(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        # Browsers compare the Origin header exactly: an origin in any other form matches no request.
        return check_cors_origins(origins)

    @field_validator("api_keys")
    @classmethod
    def _api_key_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return validate_api_keys(names)

    @model_validator(mode="after")
    def _system_path_has_a_budget(self) -> EnvironmentConfig:
        # The system key is the operator's money: no environment spends it without a daily limit.
        if self.system_path_enabled and self.system_budget is None:
            raise ValueError(
                "systemPathEnabled needs systemBudget (dailyJobs, dailyJobsPerApiKey, dailyJobsPerUser)"
            )
        return self

    @model_validator(mode="after")
    def _reserved_covers_the_event_source(self) -> EnvironmentConfig:
        # The SQS event source scales the worker up to workerMaxConcurrency; fewer reserved
        # executions would throttle it, and throttled batches go back to the queue and count as
        # receives towards the DLQ.
        reserved = self.worker_reserved_concurrency
        if reserved is not None and reserved < self.worker_max_concurrency:
            raise ValueError(
                f"workerReservedConcurrency {reserved} is below workerMaxConcurrency "
                f"{self.worker_max_concurrency}: the event source would be throttled"
            )
        return self

    @model_validator(mode="after")
    def _ttl_outlasts_every_job(self) -> EnvironmentConfig:
        # No job may end by TTL: every job is terminal within the sweeper's bound, and its record
        # (and sealed key) must outlive that, with time for the client to read the outcome.
        check_ttl_outlasts(self.job_ttl_hours, self.job_bound)
        return self

    @model_validator(mode="after")
    def _caps_fit_the_models(self) -> EnvironmentConfig:
        # Every job type on every provider: its answer budget plus reasoning room must fit what
        # the model can produce, or jobs would end truncated. Models the table does not know are
        # sent conservative caps instead (see cv_jobs.llm.capabilities).
        for job_type, setting in self.job_settings.items():
            for provider in Provider:
                model = self.model_for(provider, job_type)
                caps = capabilities(provider, model)
                if caps.known and not caps.fits(setting.answer_tokens, setting.effort):
                    raise ValueError(
                        f"jobSettings.{job_type}: answerTokens {setting.answer_tokens} plus the reasoning "
                        f"room for effort {setting.effort.value!r} exceed the {caps.max_output_tokens} "
                        f"output tokens {model} can produce"
                    )
        return self

    def model_for(self, provider: Provider | str, job_type: str | None = None) -> str:
        """The model `job_type` calls on `provider` in this environment."""
        provider = Provider(provider)
        default = self.openai_model if provider is Provider.OPENAI else self.gemini_model
        return plan_call(provider, job_type, default_model=default, settings=self.job_settings).model

    def configured_models(self) -> list[tuple[Provider, str]]:
        """Every model some job may call in this environment, once each."""
        return sorted(
            {
                (provider, self.model_for(provider, job))
                for provider in Provider
                for job in [None, *self.job_settings]
            }
        )

    @property
    def job_settings_env(self) -> str:
        """The worker's JOB_SETTINGS variable."""
        return job_settings_json(self.job_settings)

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

    @property
    def retry_base_seconds(self) -> int:
        """The worker's backoff base: a retried job waits base·2^(attempt-1), half of it jittered."""
        return 10

    @property
    def retry_max_seconds(self) -> int:
        """The longest backoff, kept below the visibility timeout (by a worker timeout) so the
        worker, not the visibility timeout, times every retry."""
        return min(300, self.queue_visibility_timeout_seconds - self.worker_timeout_seconds)

    @property
    def sweep_interval_minutes(self) -> int:
        """How often the stale-job sweeper runs."""
        return 5

    @property
    def stale_margin_seconds(self) -> int:
        """The sweeper's slack for SQS and Lambda to hand a visible message over."""
        return 120

    @property
    def job_bound(self) -> JobBound:
        """From creation, the longest any job stays open (docs/reliability.md): the sweeper's bound with
        the values the stack gives the sweeper (it leaves the lease grace at the cloud's default)."""
        rules = StaleRules(
            max_attempts=self.worker_max_attempts,
            max_receive_count=self.max_receive_count,
            visibility_seconds=self.queue_visibility_timeout_seconds,
            worker_timeout_seconds=self.worker_timeout_seconds,
            margin_seconds=self.stale_margin_seconds,
            lease_grace_seconds=LEASE_GRACE_SECONDS,
        )
        return JobBound(rules, sweep_interval_seconds=self.sweep_interval_minutes * 60)


def registered_job_types() -> tuple[str, ...]:
    """The job type names of the functions' registry (cv_jobs.job_types)."""
    from cv_jobs.job_types import JOB_TYPES

    return tuple(job_type.name for job_type in JOB_TYPES)


def environment_config(
    environments: Any, name: str | None, *, job_types: Collection[str] | None = None
) -> EnvironmentConfig:
    """Select and validate one environment from the `environments` context object. `job_types`
    replaces the registry's names (tests)."""
    if not isinstance(environments, dict) or not environments:
        raise ConfigError("cdk.json context has no 'environments' object")
    known = ", ".join(sorted(environments))
    if not name:
        raise ConfigError(f"choose an environment with -c env=<name> (known: {known})")
    if name not in environments:
        raise ConfigError(f"unknown environment {name!r} (known: {known})")
    try:
        return EnvironmentConfig.model_validate(
            {"name": name, **environments[name]}, context={"job_types": job_types}
        )
    except ValidationError as error:
        raise ConfigError(f"invalid settings for environment {name!r}: {error}") from error


def environment_config_from_file(name: str, path: Path = CDK_JSON) -> EnvironmentConfig:
    """Local mode's entry: the same settings the stack would deploy with."""
    context = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    return environment_config(context.get("environments"), name)
