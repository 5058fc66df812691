"""Which models the jobs call and how: the settings of the worker, the key check and the model check
share them (cdk.json's models and jobSettings of one environment)."""

from __future__ import annotations

from pydantic import Field, field_validator

from cv_jobs.credentials import Provider
from cv_jobs.llm.job_settings import CallPlan, JobSetting, parse_job_settings, plan_call
from cv_jobs.settings.common import _FromEnv, split_origins


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
        return split_origins(value)
