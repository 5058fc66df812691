"""Request field types shared by the job types, with their limits and our own error messages.

Limits: a CV up to 100,000 characters and at least 30 words, a job description up to 50,000
characters and at least 5 words, a section of a CV up to 10,000 characters, JSON objects (a CV as
CVData, persona feedback) bounded in size and nesting depth and holding only what the jobs table can
store (DynamoDB: no empty map key, numbers of at most 38 digits between 1e-130 and 1e126 in size).
Messages never repeat the submitted value; the api reports them with the field's path.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

CV_MAX_CHARS = 100_000
CV_MIN_WORDS = 30
JOB_DESCRIPTION_MAX_CHARS = 50_000
JOB_DESCRIPTION_MIN_WORDS = 5
SECTION_MAX_CHARS = 10_000
LABEL_MAX_CHARS = 60  # section_type, target_section
KEYWORD_MAX_CHARS = 100
USER_CONTEXT_MAX_CHARS = 5_000
INSTRUCTION_MAX_CHARS = 1_000
CV_OBJECT_MAX_CHARS = 150_000  # a 100,000-character CV as CVData JSON, with room for its keys
CV_OBJECT_MAX_DEPTH = 10
FEEDBACK_MAX_CHARS = 20_000
FEEDBACK_MAX_DEPTH = 6
# A key of a free-form object: a field or section name. DynamoDB takes names up to 64 KB; this is far
# below that in any script, and far above any heading a CV has.
KEY_MAX_CHARS = 1_000
# DynamoDB's numbers: 38 significant digits, magnitudes from 1e-130 to below 1e126 (or 0).
NUMBER_MAX_DIGITS = 38
_NUMBER_EXPONENTS = range(-130, 126)
RESPONSE_MAX_CHARS = 2_000
MAX_RESPONSES = 20
MAX_EXPERIENCE_INDEX = 99


def _min_words(minimum: int, what: str) -> Any:
    def check(text: str) -> str:
        if len(text.split()) < minimum:
            raise PydanticCustomError(
                "too_few_words", "{what} needs at least {minimum} words.", {"what": what, "minimum": minimum}
            )
        return text

    return AfterValidator(check)


def _blank_to_none(value: Any) -> Any:
    # The frontend sends "" for "no job description"; that is the same as leaving it out.
    return None if isinstance(value, str) and not value.strip() else value


def _bounded_object(max_chars: int, max_depth: int) -> Any:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise PydanticCustomError("empty_object", "Must be a non-empty JSON object.")
        if _depth(value) > max_depth:
            raise PydanticCustomError(
                "too_deep", "Nests deeper than {max_depth} levels.", {"max_depth": max_depth}
            )
        _check_storable(value)
        size = len(json.dumps(value, ensure_ascii=False))
        if size > max_chars:
            raise PydanticCustomError(
                "too_large",
                "Is {size} characters as JSON; the limit is {max_chars}.",
                {"size": size, "max_chars": max_chars},
            )
        return value

    return AfterValidator(check)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0


def _check_storable(value: Any) -> None:
    """Refuse what the jobs table cannot hold, rather than fail its write with a 500. Floats are not
    rounded or clamped: a number we would change is refused, never silently stored otherwise."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key in item:
                if not key:
                    raise PydanticCustomError("empty_key", "Keys must not be empty.")
                if len(key) > KEY_MAX_CHARS:
                    raise PydanticCustomError(
                        "key_too_long", f"Keys must be at most {KEY_MAX_CHARS:,} characters."
                    )
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, int | float) and not isinstance(item, bool) and not _storable_number(item):
            raise PydanticCustomError(
                "unstorable_number",
                "Numbers must be finite, have at most {max_digits} digits and be 0 or between 1e-130 "
                "and 1e126 in size.",
                {"max_digits": NUMBER_MAX_DIGITS},
            )


def _storable_number(number: int | float) -> bool:
    if isinstance(number, float) and not math.isfinite(number):
        return False  # NaN, or a JSON number beyond a double (1e400 parses as infinity)
    if number == 0:
        return True
    # Significant digits, as DynamoDB counts them (it trims leading and trailing zeros): 10**38 is one
    # digit to it, and the jobs table gives a stored 1e38 back as that integer.
    if isinstance(number, int) and len(str(abs(number)).rstrip("0")) > NUMBER_MAX_DIGITS:
        return False
    # A float's shortest repr has at most 17 digits; only its exponent can be out of range.
    exponent = Decimal(repr(number) if isinstance(number, float) else number).adjusted()
    return exponent in _NUMBER_EXPONENTS


def _text(max_chars: int, min_chars: int = 1) -> Any:
    return StringConstraints(min_length=min_chars, max_length=max_chars)


CvText = Annotated[str, _text(CV_MAX_CHARS), _min_words(CV_MIN_WORDS, "A CV")]
JobDescription = Annotated[
    str, _text(JOB_DESCRIPTION_MAX_CHARS), _min_words(JOB_DESCRIPTION_MIN_WORDS, "A job description")
]
# Context only: absent, null and "" all mean "no job description".
OptionalJobDescription = Annotated[JobDescription | None, BeforeValidator(_blank_to_none)]
SectionContent = Annotated[str, _text(SECTION_MAX_CHARS)]
# Context that may be empty ("" when the frontend has nothing to send).
SectionContext = Annotated[str, _text(SECTION_MAX_CHARS * 2, min_chars=0)]
Label = Annotated[str, _text(LABEL_MAX_CHARS)]
Keyword = Annotated[str, _text(KEYWORD_MAX_CHARS)]
UserContext = Annotated[str, _text(USER_CONTEXT_MAX_CHARS, min_chars=3)]
Instruction = Annotated[str, _text(INSTRUCTION_MAX_CHARS)]
UserResponse = Annotated[str, _text(RESPONSE_MAX_CHARS)]
CvObject = Annotated[dict[str, Any], _bounded_object(CV_OBJECT_MAX_CHARS, CV_OBJECT_MAX_DEPTH)]
FeedbackObject = Annotated[dict[str, Any], _bounded_object(FEEDBACK_MAX_CHARS, FEEDBACK_MAX_DEPTH)]
ExperienceIndex = Annotated[int, Field(ge=0, le=MAX_EXPERIENCE_INDEX)]

# --- improve-from-feedback and rephrase -------------------------------------------------------

MAX_TARGET_INDICES = 50


def _experience_index_key(key: str) -> str:
    # Canonical digits only, so "0" and "00" cannot name the same entry twice.
    if not (key.isascii() and key.isdigit() and str(int(key)) == key and int(key) <= MAX_EXPERIENCE_INDEX):
        raise PydanticCustomError(
            "experience_index_key",
            'Keys must be experience indices written as digits, from "0" to "{maximum}".',
            {"maximum": MAX_EXPERIENCE_INDEX},
        )
    return key


def _unique_indices(indices: list[int]) -> list[int]:
    if len(set(indices)) != len(indices):
        raise PydanticCustomError("duplicate_index", "Each index may appear only once.")
    return indices


# Absent, null and "" all mean "no instruction" (the frontend sends "" with the other types).
OptionalInstruction = Annotated[Instruction | None, BeforeValidator(_blank_to_none)]
UserResponses = Annotated[list[UserResponse], Field(min_length=1, max_length=MAX_RESPONSES)]
ImprovementType = Literal["bullet", "sentence"]
ExperienceIndexKey = Annotated[str, AfterValidator(_experience_index_key)]
# An experience index ("0") -> the form the user wants for that entry's improvement.
UserChosenTypes = Annotated[
    dict[ExperienceIndexKey, ImprovementType], Field(max_length=MAX_EXPERIENCE_INDEX + 1)
]
ExperienceIndices = Annotated[
    list[ExperienceIndex], Field(max_length=MAX_TARGET_INDICES), AfterValidator(_unique_indices)
]
