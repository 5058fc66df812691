"""Settings of each function, read from its environment once per cold start and validated."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    jobs_table_name: str = Field(alias="JOBS_TABLE_NAME", min_length=1)
    byok_key_arn: str = Field(alias="BYOK_KEY_ARN", min_length=1)
    job_ttl_seconds: int = Field(alias="JOB_TTL_SECONDS", default=86_400, ge=60)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None):
        return cls.model_validate(dict(os.environ if environ is None else environ))


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


class WorkerSettings(_EnvSettings):
    system_openai_secret_arn: str = Field(alias="SYSTEM_OPENAI_SECRET_ARN", min_length=1)
    openai_model: str = Field(alias="OPENAI_MODEL", min_length=1)
    gemini_model: str = Field(alias="GEMINI_MODEL", min_length=1)
    openai_base_url: str | None = Field(alias="OPENAI_BASE_URL", default=None)
    gemini_base_url: str = Field(alias="GEMINI_BASE_URL", default="https://generativelanguage.googleapis.com")
    # Attempts before a retryable failure fails the job for good. The stack sets it one below the
    # queue's maxReceiveCount, so a delivery is left to fail a job whose attempts all crashed.
    max_attempts: int = Field(alias="MAX_ATTEMPTS", default=3, ge=1, le=10)
    # Time kept back from the Lambda deadline for the final DynamoDB write.
    deadline_margin_seconds: float = Field(alias="DEADLINE_MARGIN_SECONDS", default=5.0, ge=0)
    system_key_cache_seconds: int = Field(alias="SYSTEM_KEY_CACHE_SECONDS", default=300, ge=0)
