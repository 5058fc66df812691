"""What defines a job type: its path, request model, the model the LLM must fill, prompts and the
deterministic post-processing that turns the LLM's answer into the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

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


def _has_enough_words(text: str) -> str:
    if len(text.split()) < CV_MIN_WORDS:
        raise ValueError(f"a CV needs at least {CV_MIN_WORDS} words")
    return text


CvText = Annotated[
    str, StringConstraints(min_length=1, max_length=CV_MAX_CHARS), AfterValidator(_has_enough_words)
]
JobDescription = Annotated[str, StringConstraints(min_length=1, max_length=JOB_DESCRIPTION_MAX_CHARS)]


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
