"""The result shapes the frontend reads, written out by hand from issue 5's "Results" list (and
DESIGN §2), independent of the job types' Pydantic models: a model change that would break the
frontend (a renamed, missing or extra key, an object turned into a list) fails the e2e tests.

A shape is: a dict (an object with exactly these keys), a one-element list (an array of that
shape), `MapOf(shape)` (an object with any keys, each value of that shape), a leaf (`STR`, `INT`,
`NUMBER`, `BOOL`, `OneOf(...)`) or `Nullable(shape)`.
`shape_problems(value, shape)` lists every difference, by path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Leaf:
    name: str
    types: tuple[type, ...]

    def problem(self, value: Any) -> str | None:
        # bool is an int to Python, never to the frontend.
        if isinstance(value, bool) and bool not in self.types:
            return f"expected {self.name}, got a boolean"
        return None if isinstance(value, self.types) else f"expected {self.name}, got {type(value).__name__}"


@dataclass(frozen=True)
class OneOf:
    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class Nullable:
    shape: Any


@dataclass(frozen=True)
class MapOf:
    shape: Any


STR = Leaf("a string", (str,))
INT = Leaf("an integer", (int,))
NUMBER = Leaf("a number", (int, float))
BOOL = Leaf("a boolean", (bool,))

# --- CVData (extract; tailor) -------------------------------------------------------------------

DATE_VALUE = Nullable(
    {"year": Nullable(INT), "month": Nullable(INT), "day": Nullable(INT), "isPresent": BOOL}
)
CV_DATA: dict[str, Any] = {
    "personal": {
        "name": STR,
        "email": STR,
        "phone": STR,
        "location": STR,
        "website": STR,
        "linkedin": STR,
        "github": STR,
    },
    "professional_summary": STR,
    "experience": [
        {
            "company": STR,
            "role": STR,
            "startDate": STR,
            "endDate": STR,
            "location": STR,
            "description": STR,
            "achievements": [STR],
            "startDateValue": DATE_VALUE,
            "endDateValue": DATE_VALUE,
        }
    ],
    "education": [
        {
            "institution": STR,
            "degree": STR,
            "field": STR,
            "startDate": STR,
            "endDate": STR,
            "gpa": STR,
            "startDateValue": DATE_VALUE,
            "endDateValue": DATE_VALUE,
        }
    ],
    "projects": [
        {
            "name": STR,
            "description": STR,
            "tech_stack": [STR],
            "link": STR,
            "startDate": STR,
            "endDate": STR,
            "startDateValue": DATE_VALUE,
            "endDateValue": DATE_VALUE,
        }
    ],
    "skills": {"technical": [STR], "soft": [STR], "languages": [STR]},
    "licenses_certifications": [
        {
            "name": STR,
            "issuer": STR,
            "date": STR,
            "expiry": STR,
            "dateValue": DATE_VALUE,
            "expiryValue": DATE_VALUE,
        }
    ],
}
# `target_job` is there exactly when a job description was given.
CV_DATA_FOR_A_JOB: dict[str, Any] = {**CV_DATA, "target_job": {"title": STR, "company": STR}}

# --- the other results --------------------------------------------------------------------------

PERSONAS = ("Strict Hiring Manager", "Creative Recruiter", "Senior Technical Lead")
EVALUATION: dict[str, Any] = {
    "individual_evaluations": [
        {
            "persona": OneOf(*PERSONAS),
            "score": INT,
            "strengths": [STR],
            "improvements": [STR],
            "reasoning": STR,
        }
    ],
    "average_score": NUMBER,
}
TEMPLATES = ("reverse-chronological", "functional", "combination")

FRONTEND_SHAPES: dict[str, Any] = {
    # Keyed by stored job type name; every example request carries a job description.
    "extract": CV_DATA_FOR_A_JOB,
    "tailor": {**CV_DATA_FOR_A_JOB, "analysis": {"committee_evaluation": EVALUATION}},
    "evaluate": EVALUATION,
    "rephrase": {"original_content": STR, "rephrased_content": STR, "section_type": STR},
    "recommend": {
        "recommended_template": OneOf(*TEMPLATES),
        "confidence_score": NUMBER,
        "reasoning": STR,
        "format_explanation": STR,
        "alternatives": [{"template": OneOf(*TEMPLATES), "reason": STR}],
    },
    "inject_keyword": {"rephrased_content": Nullable(STR), "requires_context": BOOL},
    "elaborate": {"rephrased_content": STR},
    "improve_from_feedback": {
        "improved_content": STR,
        "suggested_section": STR,
        "improvement_type": OneOf("bullet", "sentence"),
        "improvement_content": STR,
        "target_indices": [INT],
        # Experience index ("0") -> the form the user chose for it, as the request sent it.
        "user_chosen_types": MapOf(OneOf("bullet", "sentence")),
    },
}


def shape_problems(value: Any, shape: Any, path: str = "result") -> list[str]:
    """Every way `value` differs from `shape`, as "path: problem" lines (empty when it fits)."""
    if isinstance(shape, Nullable):
        return [] if value is None else shape_problems(value, shape.shape, path)
    if isinstance(shape, Leaf):
        problem = shape.problem(value)
        return [f"{path}: {problem}"] if problem else []
    if isinstance(shape, OneOf):
        return [] if value in shape.values else [f"{path}: {value!r} is not one of {list(shape.values)}"]
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        return [p for key, item in value.items() for p in shape_problems(item, shape.shape, f"{path}.{key}")]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {type(value).__name__}"]
        return [
            p for index, item in enumerate(value) for p in shape_problems(item, shape[0], f"{path}[{index}]")
        ]
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {type(value).__name__}"]
    problems = [f"{path}.{key}: missing" for key in shape if key not in value]
    problems += [f"{path}.{key}: not a key the frontend reads" for key in value if key not in shape]
    for key in shape.keys() & value.keys():
        problems += shape_problems(value[key], shape[key], f"{path}.{key}")
    return problems


def empty_arrays(value: Any, shape: Any, path: str = "result") -> list[str]:
    """Arrays of objects in `shape` that `value` left empty: their items' keys went unchecked."""
    if isinstance(shape, Nullable):
        return [] if value is None else empty_arrays(value, shape.shape, path)
    if isinstance(shape, list) and isinstance(value, list):
        if not value:
            return [path] if isinstance(shape[0], dict) else []
        return [
            p for index, item in enumerate(value) for p in empty_arrays(item, shape[0], f"{path}[{index}]")
        ]
    if isinstance(shape, dict) and isinstance(value, dict):
        return [
            p
            for key in shape.keys() & value.keys()
            for p in empty_arrays(value[key], shape[key], f"{path}.{key}")
        ]
    return []
