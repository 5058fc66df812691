"""What the FAKE providers answer: for each job type's step, schema-valid output derived
deterministically from the prompt it was sent, clearly marked as fake.

The fake recognises the step by the JSON schema it was asked to fill (the schema the worker derives
from the step's output model), reads the prompt's tagged data blocks (`cv_jobs.job_types.prompting`)
and hands them to the step's answerer. A schema no answerer knows gets a generic instance of it.

An answerer module registers itself with `@answers("<job type name>", "<step name>")`; the modules
are imported at the bottom of this file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cv_jobs.job_types import JOB_TYPES
from cv_jobs.job_types.prompting import data_blocks
from cv_jobs.job_types.schema import provider_schema
from local.fakes.schema_sample import sample_instance

# Put in front of free text the fakes write, so nobody mistakes a demo for a model's work.
FAKE_MARK = "[FAKE AI]"


@dataclass(frozen=True)
class FakeCall:
    """One structured-output request as the fake received it."""

    system: str
    user: str
    schema: dict[str, Any]

    @property
    def blocks(self) -> dict[str, str]:
        """The prompt's tagged data blocks (cv, job_description, section_content, …), by tag."""
        return data_blocks(self.user)

    def block(self, tag: str, default: str = "") -> str:
        return self.blocks.get(tag, default)

    def json_block(self, tag: str, default: Any = None) -> Any:
        """A block that holds JSON (a CV as CVData, feedback, facts); `default` when absent or bad."""
        try:
            return json.loads(self.blocks[tag])
        except (KeyError, ValueError):
            return default


Answerer = Callable[[FakeCall], Any]
_ANSWERERS: dict[tuple[str, str], Answerer] = {}


def answers(job_type: str, step: str) -> Callable[[Answerer], Answerer]:
    def register(answerer: Answerer) -> Answerer:
        _ANSWERERS[(job_type, step)] = answerer
        return answerer

    return register


def fake_answer(schema: dict[str, Any], *, system: str, user: str) -> Any:
    step = _steps_by_schema().get(_canonical(schema))
    answerer = _ANSWERERS.get(step) if step else None
    if answerer is None:
        return sample_instance(schema)
    return answerer(FakeCall(system=system, user=user, schema=schema))


@cache
def _steps_by_schema() -> dict[str, tuple[str, str]]:
    steps: dict[str, tuple[str, str]] = {}
    for job_type in JOB_TYPES:
        for step in job_type.steps:
            key = _canonical(provider_schema(step.output_model))
            if key in steps:
                # The fake could not tell the two apart (Gemini requests carry no schema name).
                raise ValueError(f"steps {steps[key]} and {(job_type.name, step.name)} share a schema")
            steps[key] = (job_type.name, step.name)
    return steps


def _canonical(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True)


# Answerer modules register on import.
from local.fakes.answers import (  # noqa: E402
    cv,  # noqa: F401
    evaluate,  # noqa: F401
    sections,  # noqa: F401
)
