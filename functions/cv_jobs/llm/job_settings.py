"""Per-job-type model settings, as written in `cdk.json` (`jobSettings`) and handed to the worker as
the JSON variable JOB_SETTINGS: for each job type an optional model per provider, the answer's token
budget and the reasoning effort. The one definition both the CDK app (which validates it) and the
worker (which applies it) read, so the two cannot disagree about a field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from cv_jobs.credentials import Provider
from cv_jobs.llm.capabilities import Effort, capabilities

# A job type without its own entry: room for a section-sized answer, a balanced effort.
DEFAULT_ANSWER_TOKENS = 4_096
DEFAULT_EFFORT = Effort.MEDIUM


class JobSetting(BaseModel):
    """One job type's settings; what is left out falls back to the environment's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    openai_model: str | None = Field(default=None, alias="openaiModel", min_length=1)
    gemini_model: str | None = Field(default=None, alias="geminiModel", min_length=1)
    # The answer's own budget; the cap sent adds room for reasoning (see capabilities).
    answer_tokens: int = Field(default=DEFAULT_ANSWER_TOKENS, alias="answerTokens", ge=256, le=64_000)
    effort: Effort = DEFAULT_EFFORT

    def model_for(self, provider: Provider) -> str | None:
        return self.openai_model if provider is Provider.OPENAI else self.gemini_model


JobSettings = Mapping[str, JobSetting]
_ADAPTER: TypeAdapter[dict[str, JobSetting]] = TypeAdapter(dict[str, JobSetting])
_DEFAULT = JobSetting()


def parse_job_settings(value: Any) -> dict[str, JobSetting]:
    """From the JSON text of JOB_SETTINGS or an already-decoded object (cdk.json)."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    return _ADAPTER.validate_python(value or {})


def job_settings_json(settings: JobSettings) -> str:
    """The JOB_SETTINGS value: cdk.json's field names, only what was set, stable key order."""
    return json.dumps(
        {
            name: setting.model_dump(mode="json", by_alias=True, exclude_unset=True)
            for name, setting in sorted(settings.items())
        },
        separators=(",", ":"),
        sort_keys=True,
    )


@dataclass(frozen=True)
class CallPlan:
    """What one job type's model calls are sent."""

    provider: Provider
    model: str
    effort: Effort  # as configured
    native_effort: str | None  # the provider's value; None: the parameter is not sent
    answer_tokens: int
    max_output_tokens: int  # answer budget + reasoning room, within the model's limit
    model_known: bool  # False: the model matched no family, safe defaults were used


def plan_call(
    provider: Provider, job_type: str | None, *, default_model: str, settings: JobSettings
) -> CallPlan:
    setting = settings.get(job_type or "", _DEFAULT)
    model = setting.model_for(provider) or default_model
    caps = capabilities(provider, model)
    return CallPlan(
        provider=provider,
        model=model,
        effort=setting.effort,
        native_effort=caps.native_effort(setting.effort),
        answer_tokens=setting.answer_tokens,
        max_output_tokens=caps.output_cap(setting.answer_tokens, setting.effort),
        model_known=caps.known,
    )
