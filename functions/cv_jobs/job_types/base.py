"""What defines a job type: its path, request model, the steps the worker walks (each a model call
with its own output model and prompt) and `assemble`, which turns the request and the steps'
validated outputs into the result the frontend reads.

A job type is data the worker walks, not code the worker knows: the worker runs the steps in
order, checkpoints each step's validated output on the job record and skips checkpointed steps on a
retry, then calls `assemble`. Deterministic facts (dates, averages, echoed fields) live in
`assemble` or in code that builds a prompt, never in what the model is trusted to write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

RequestT = TypeVar("RequestT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)
ModelT = TypeVar("ModelT", bound=BaseModel)


class RequestModel(BaseModel):
    """Base of request bodies. Unknown fields are ignored, so the frontend may send extras."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class OutputModel(BaseModel):
    """Base of what a model call must return: closed objects, every field present (strict schemas).

    Validators that need the request read it from the validation context (`info.context`), which
    the worker sets to the job's request model instance.

    `hide_input_in_errors`: a ValidationError's text never quotes the value (the model's answer, a
    fragment of the CV), so no traceback or careless log line can carry it.
    """

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, defer_build=True)


class ResultModel(BaseModel):
    """Base of a job's `result`: the shape the frontend reads, field for field. Its errors' text never
    quotes the value (a fragment of the result), as for OutputModel."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, defer_build=True)


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str


# Earlier steps' validated outputs, by step name.
StepOutputs = Mapping[str, BaseModel]


@dataclass(frozen=True)
class Step(Generic[RequestT]):
    """One model call: what the provider must fill (its JSON schema and validator) and the prompt,
    which may read earlier steps' outputs."""

    name: str
    output_model: type[OutputModel]
    prompt: Callable[[RequestT, StepOutputs], Prompt]


@dataclass(frozen=True)
class JobType(Generic[RequestT, ResultT]):
    name: str  # stored job_type, underscores: "inject_keyword"
    path: str  # URL segment, hyphens: "inject-keyword"
    summary: str  # one line for the API documentation
    request_model: type[RequestT]
    result_model: type[ResultT]  # the shape of the job's `result`
    steps: tuple[Step[RequestT], ...]
    assemble: Callable[[RequestT, StepOutputs], ResultT]

    def result(self, request: RequestT, outputs: StepOutputs) -> dict[str, Any]:
        """The job's `result` as stored and returned: plain JSON types."""
        return self.assemble(request, outputs).model_dump(mode="json")


def output_of(outputs: StepOutputs, step: str, model: type[ModelT]) -> ModelT:
    """An earlier step's output, typed. A missing or mistyped one is a bug in the job type."""
    output = outputs[step]
    if not isinstance(output, model):
        raise TypeError(f"step {step!r} produced {type(output).__name__}, not {model.__name__}")
    return output
