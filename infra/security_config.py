"""The security settings of an environment in `cdk.json` (part of infra.config.EnvironmentConfig):
its API keys, the system path's daily budgets, optional end-user identity (OIDC) and the WAF."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_KEY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SystemBudget(_Model):
    """Jobs per UTC day that may run on the system key: in all, per API key, per end user."""

    daily_jobs: int = Field(alias="dailyJobs", ge=1, le=1_000_000)
    daily_jobs_per_api_key: int = Field(alias="dailyJobsPerApiKey", ge=1)
    daily_jobs_per_user: int = Field(alias="dailyJobsPerUser", ge=1)

    @model_validator(mode="after")
    def _narrower_scopes_have_smaller_budgets(self) -> SystemBudget:
        if not self.daily_jobs_per_user <= self.daily_jobs_per_api_key <= self.daily_jobs:
            raise ValueError("systemBudget must satisfy dailyJobsPerUser <= dailyJobsPerApiKey <= dailyJobs")
        return self

    def environment(self) -> dict[str, str]:
        """The api function's variables (cv_jobs.aws.system_budget.BudgetSettings)."""
        return {
            "SYSTEM_BUDGET_DAILY_JOBS": str(self.daily_jobs),
            "SYSTEM_BUDGET_DAILY_JOBS_PER_API_KEY": str(self.daily_jobs_per_api_key),
            "SYSTEM_BUDGET_DAILY_JOBS_PER_USER": str(self.daily_jobs_per_user),
        }


class Identity(_Model):
    """End-user identity: JWTs from this OpenID Connect issuer, for this audience, verified by the
    stack's Lambda authorizer; the token's `sub` owns the jobs it creates."""

    issuer: str = Field(min_length=1)
    audience: str = Field(min_length=1)
    # Where the issuer publishes its keys; by default its discovery document says.
    jwks_uri: str | None = Field(alias="jwksUri", default=None)

    @field_validator("issuer", "jwks_uri")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme != "https":
            raise ValueError("must be an https:// URL")
        return value


class Waf(_Model):
    """An AWS WAF web ACL on the stage: a per-IP rate-based rule plus AWS's managed common rules."""

    enabled: bool
    # Requests from one IP address in any 5-minute window before WAF blocks it (AWS's minimum: 10).
    requests_per_five_minutes_per_ip: int = Field(alias="requestsPerFiveMinutesPerIp", default=500, ge=10)


def validate_api_keys(names: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(names)) != len(names):
        raise ValueError("apiKeys must be unique")
    for name in names:
        if not _KEY_NAME.fullmatch(name):
            raise ValueError(f"apiKeys: {name!r} must be letters, digits and '-' (a letter first)")
    return names
