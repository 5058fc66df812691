"""The api function's settings (and only its own: a cold start builds no other function's model)."""

from __future__ import annotations

from pydantic import Field, field_validator

from cv_jobs.settings.common import _EnvSettings, split_origins


class ApiSettings(_EnvSettings):
    jobs_queue_url: str = Field(alias="JOBS_QUEUE_URL", min_length=1)
    system_path_enabled: bool = Field(alias="SYSTEM_PATH_ENABLED", default=False)
    cors_allowed_origins: tuple[str, ...] = Field(alias="CORS_ALLOWED_ORIGINS", default=())
    # Well under DynamoDB's 400 KB item limit, with room for a 100,000-character CV in UTF-8.
    max_body_bytes: int = Field(alias="MAX_BODY_BYTES", default=350_000, ge=1_000)

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return split_origins(value)
