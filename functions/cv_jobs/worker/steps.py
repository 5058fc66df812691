"""Walks a job type's steps: one model call each, validated, checkpointed, skipped when a retry finds
its output already checkpointed on the record.

A checkpoint is `{"output": <validated output as JSON>, "usage": {...}, "model": "..."}` under the
step's name in the record's `steps` map. Outputs are validated with the request as context, so a
rule that depends on the request (a keyword that must appear, a chosen type) holds for a
checkpoint as much as for a fresh answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from cv_jobs.error_summary import error_summary, validation_problems
from cv_jobs.errors import JobErrorCode, JobFailure
from cv_jobs.job_types import JobType
from cv_jobs.job_types.base import Prompt, Step
from cv_jobs.observability import logger

# Calls the provider for one step: (step, prompt) -> (parsed JSON answer, model, usage).
CallStep = Callable[[Step[Any], Prompt], tuple[Any, str, dict[str, int]]]
# Saves the checkpoints so far; False when the job is no longer ours to write.
SaveCheckpoints = Callable[[dict[str, Any]], bool]


class JobLost(Exception):
    """The job was cancelled or taken over while a step ran: stop without writing anything."""


@dataclass
class Usage:
    """Tokens over every call the job paid for, checkpointed steps included."""

    model: str = ""
    calls: int = 0
    tokens: dict[str, int] = field(default_factory=dict)

    def add(self, model: str, usage: dict[str, Any]) -> None:
        self.model = model or self.model
        self.calls += 1
        for name, value in usage.items():
            if isinstance(value, int):
                self.tokens[name] = self.tokens.get(name, 0) + value

    def as_record(self) -> dict[str, Any]:
        return {"model": self.model, "calls": self.calls, **self.tokens}


def run_steps(
    job_type: JobType[Any, Any],
    request: BaseModel,
    checkpoints: dict[str, Any],
    *,
    call: CallStep,
    save: SaveCheckpoints,
    log: dict[str, Any],
) -> tuple[dict[str, Any], Usage]:
    outputs: dict[str, BaseModel] = {}
    usage = Usage()
    saved = dict(checkpoints)
    last = job_type.steps[-1].name
    for step in job_type.steps:
        restored = _restore(step, saved.get(step.name), request)
        if restored is not None:
            outputs[step.name] = restored
            usage.add(saved[step.name].get("model", ""), saved[step.name].get("usage") or {})
            logger.info("step output restored from checkpoint", extra={**log, "step": step.name})
            continue
        data, model, step_usage = call(step, step.prompt(request, outputs))
        outputs[step.name] = _validate(step, data, request)
        usage.add(model, step_usage)
        logger.info("step done", extra={**log, "step": step.name, "model": model, **step_usage})
        # The last step's output goes straight into the result; only earlier ones need a checkpoint.
        if step.name != last:
            saved[step.name] = {
                "output": outputs[step.name].model_dump(mode="json"),
                "usage": step_usage,
                "model": model,
            }
            if not save(saved):
                raise JobLost(step.name)
    try:
        return job_type.result(request, outputs), usage
    except (ValueError, ValidationError) as error:
        # The outputs validated, so this is our assemble code disagreeing with its own models.
        logger.error("assembling the result failed", extra={**log, **error_summary(error)})
        raise JobFailure(JobErrorCode.INTERNAL_ERROR, log_hint="assemble failed") from None


def _validate(step: Step[Any], data: Any, request: BaseModel) -> BaseModel:
    try:
        return step.output_model.model_validate(data, context=request)
    except ValidationError as error:
        # Locations and error types only: the model's answer can quote the CV.
        problems = ", ".join(validation_problems(error))
        raise JobFailure(JobErrorCode.INVALID_MODEL_OUTPUT, log_hint=f"{step.name}: {problems}") from None


def _restore(step: Step[Any], checkpoint: Any, request: BaseModel) -> BaseModel | None:
    if not isinstance(checkpoint, dict) or "output" not in checkpoint:
        return None
    try:
        return step.output_model.model_validate(checkpoint["output"], context=request)
    except ValidationError:
        return None  # written by an older version of the step: pay for it again
