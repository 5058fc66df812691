"""What defines a job type: its path, request model, the model the LLM must fill, prompts and the
deterministic post-processing that turns the LLM's answer into the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

RequestT = TypeVar("RequestT", bound=BaseModel)
OutputT = TypeVar("OutputT", bound=BaseModel)

CV_MAX_CHARS = 100_000
JOB_DESCRIPTION_MAX_CHARS = 50_000
CV_MIN_WORDS = 30


class RequestModel(BaseModel):
    """Base of request bodies. Unknown fields are ignored, so the frontend may send extras."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class OutputModel(BaseModel):
    """Base of what the LLM must return: closed objects, every field present (strict schemas)."""

    model_config = ConfigDict(extra="forbid")


CvText = Annotated[str, StringConstraints(min_length=1, max_length=CV_MAX_CHARS)]
JobDescription = Annotated[str, StringConstraints(min_length=1, max_length=JOB_DESCRIPTION_MAX_CHARS)]


def require_min_words(text: str, field: str, minimum: int = CV_MIN_WORDS) -> None:
    if len(text.split()) < minimum:
        raise ValueError(f"{field} needs at least {minimum} words to be a CV")


class CvTextCheck(RequestModel):
    """Mixin for requests whose CV arrives as text: a CV of a few words is refused."""

    @model_validator(mode="after")
    def _cv_has_substance(self) -> CvTextCheck:
        for field in ("cv_text", "user_cv_text"):
            value = getattr(self, field, None)
            if isinstance(value, str):
                require_min_words(value, field)
        return self


@dataclass(frozen=True)
class JobType(Generic[RequestT, OutputT]):
    name: str  # stored job_type, underscores: "inject_keyword"
    path: str  # URL segment, hyphens: "inject-keyword"
    request_model: type[RequestT]
    output_model: type[OutputT]  # the schema sent to the provider, and its validator
    result_model: type[BaseModel]  # the shape of the job's `result`
    system_prompt: str
    build_prompt: Callable[[RequestT], str]
    postprocess: Callable[[OutputT, RequestT], dict[str, Any]]
