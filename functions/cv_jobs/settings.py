"""Settings of each function, read from its environment once per cold start and validated."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cv_jobs.credentials import Provider
from cv_jobs.llm.job_settings import CallPlan, JobSetting, parse_job_settings, plan_call


class _FromEnv(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None):
        return cls.model_validate(dict(os.environ if environ is None else environ))


class _EnvSettings(_FromEnv):
    jobs_table_name: str = Field(alias="JOBS_TABLE_NAME", min_length=1)
    byok_key_arn: str = Field(alias="BYOK_KEY_ARN", min_length=1)
    job_ttl_seconds: int = Field(alias="JOB_TTL_SECONDS", default=86_400, ge=60)


class ModelSettings(_FromEnv):
    """Which models the jobs call and how (cdk.json's models and jobSettings of one environment)."""

    openai_model: str = Field(alias="OPENAI_MODEL", min_length=1)
    gemini_model: str = Field(alias="GEMINI_MODEL", min_length=1)
    job_settings: dict[str, JobSetting] = Field(alias="JOB_SETTINGS", default_factory=dict)
    # The cdk.json environment, so that an operator reading a log line knows which one it was.
    environment_name: str = Field(alias="ENVIRONMENT_NAME", default="unknown", min_length=1)
    openai_base_url: str | None = Field(alias="OPENAI_BASE_URL", default=None)
    gemini_base_url: str = Field(alias="GEMINI_BASE_URL", default="https://generativelanguage.googleapis.com")

    @field_validator("job_settings", mode="before")
    @classmethod
    def _parse_job_settings(cls, value: object) -> object:
        return parse_job_settings(value)

    def call_plan(self, provider: Provider, job_type: str | None) -> CallPlan:
        default = self.openai_model if provider is Provider.OPENAI else self.gemini_model
        return plan_call(provider, job_type, default_model=default, settings=self.job_settings)

    def configured_models(self) -> list[tuple[Provider, str]]:
        """Every model some job of this environment may call, once each, in a stable order."""
        models = {(Provider.OPENAI, self.openai_model), (Provider.GEMINI, self.gemini_model)}
        for setting in self.job_settings.values():
            models.update(
                (provider, model) for provider in Provider if (model := setting.model_for(provider))
            )
        return sorted(models)


class ApiSettings(_EnvSettings):
    jobs_queue_url: str = Field(alias="JOBS_QUEUE_URL", min_length=1)
    system_path_enabled: bool = Field(alias="SYSTEM_PATH_ENABLED", default=False)
    cors_allowed_origins: tuple[str, ...] = Field(alias="CORS_ALLOWED_ORIGINS", default=())
    # Well under DynamoDB's 400 KB item limit, with room for a 100,000-character CV in UTF-8.
    max_body_bytes: int = Field(alias="MAX_BODY_BYTES", default=350_000, ge=1_000)

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value


class WorkerSettings(_EnvSettings, ModelSettings):
    system_openai_secret_arn: str = Field(alias="SYSTEM_OPENAI_SECRET_ARN", min_length=1)
    # Attempts before a retryable failure fails the job for good. The stack sets it one below the
    # queue's maxReceiveCount, so a delivery is left to fail a job whose attempts all crashed.
    max_attempts: int = Field(alias="MAX_ATTEMPTS", default=3, ge=1, le=10)
    # Time kept back from the Lambda deadline for the final DynamoDB write (and its retries).
    deadline_margin_seconds: float = Field(alias="DEADLINE_MARGIN_SECONDS", default=5.0, ge=0)
    system_key_cache_seconds: int = Field(alias="SYSTEM_KEY_CACHE_SECONDS", default=300, ge=0)
    # The queue's maxReceiveCount: the delivery that reaches it is the last (0: MAX_ATTEMPTS + 1).
    max_receive_count: int = Field(alias="MAX_RECEIVE_COUNT", default=0, ge=0, le=10)
    # The jobs queue, to time redeliveries (ChangeMessageVisibility); unset: SQS's visibility timeout.
    jobs_queue_url: str | None = Field(alias="JOBS_QUEUE_URL", default=None)
    # Backoff of a retried job: base·2^(attempt-1) with jitter, at most the cap (the stack keeps
    # the cap below the queue's visibility timeout).
    retry_base_seconds: float = Field(alias="RETRY_BASE_SECONDS", default=10.0, ge=0)
    retry_max_seconds: float = Field(alias="RETRY_MAX_SECONDS", default=300.0, ge=0, le=43_200)

    @property
    def last_receive(self) -> int:
        return self.max_receive_count or self.max_attempts + 1


class SweeperSettings(_FromEnv):
    """The stale-job sweeper: the queue and worker limits a job's deliveries live within (the stack
    sets them from the same config as the queue and the worker)."""

    jobs_table_name: str = Field(alias="JOBS_TABLE_NAME", min_length=1)
    max_attempts: int = Field(alias="MAX_ATTEMPTS", default=3, ge=1, le=10)
    max_receive_count: int = Field(alias="MAX_RECEIVE_COUNT", default=4, ge=1, le=10)
    queue_visibility_seconds: float = Field(alias="QUEUE_VISIBILITY_SECONDS", default=720, gt=0)
    worker_timeout_seconds: float = Field(alias="WORKER_TIMEOUT_SECONDS", default=120, gt=0)
    # Slack for SQS and Lambda to hand a visible message over (and for clocks).
    margin_seconds: float = Field(alias="STALE_MARGIN_SECONDS", default=120, ge=0)


class ModelCheckSettings(ModelSettings):
    # Unset locally when no system key is configured: OpenAI models are then looked up without one.
    system_openai_secret_arn: str | None = Field(alias="SYSTEM_OPENAI_SECRET_ARN", default=None)
    # A model whose shutdown is this close (or closer) needs attention now.
    warning_days: int = Field(alias="MODEL_WARNING_DAYS", default=90, ge=1, le=365)


class KeyCheckSettings(ModelSettings):
    """The key check (`POST /ai/keys/test`): which models to ask about, the origins it answers
    browsers from, and how long it may wait for the provider in all."""

    cors_allowed_origins: tuple[str, ...] = Field(alias="CORS_ALLOWED_ORIGINS", default=())
    # Well inside the function's timeout and API Gateway's 29 s, so the caller always gets our answer.
    timeout_seconds: float = Field(alias="KEY_CHECK_TIMEOUT_SECONDS", default=6.0, gt=0, le=20)

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value
