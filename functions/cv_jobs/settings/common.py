"""What every function's settings share: read from the environment once per cold start, validated."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class _FromEnv(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None):
        return cls.model_validate(dict(os.environ if environ is None else environ))


class _EnvSettings(_FromEnv):
    jobs_table_name: str = Field(alias="JOBS_TABLE_NAME", min_length=1)
    byok_key_arn: str = Field(alias="BYOK_KEY_ARN", min_length=1)
    job_ttl_seconds: int = Field(alias="JOB_TTL_SECONDS", default=86_400, ge=60)


def split_origins(value: object) -> object:
    """CORS_ALLOWED_ORIGINS as the stack sets it: comma-separated, blanks dropped."""
    if isinstance(value, str):
        return tuple(origin.strip() for origin in value.split(",") if origin.strip())
    return value
