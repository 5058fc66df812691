"""Refusals of request bodies: field paths and our own sentences, never the submitted values."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from cv_jobs.api.validation import validate_body
from cv_jobs.errors import InvalidJson, RequestValidationFailed
from cv_jobs.job_types import JOB_TYPES
from cv_jobs.job_types.base import JobType, RequestModel
from cv_jobs.job_types.extract import EXTRACT
from cv_jobs.job_types.fields import CvObject, Keyword
from cv_jobs.job_types.schema import provider_schema

CANARY = "canary-submitted-value-7f3a"


class _Request(RequestModel):
    keyword: Keyword
    choices: dict[str, Literal["bullet", "sentence"]] | None = None
    cv: CvObject | None = None
    count: int = 0


_PROBE = JobType(
    name="probe",
    path="probe",
    summary="test only",
    request_model=_Request,
    result_model=BaseModel,
    steps=(),
    assemble=lambda request, outputs: BaseModel(),
)


def _refusal(job_type: JobType[Any, Any], body: Any) -> dict[str, Any]:
    with pytest.raises(RequestValidationFailed) as refused:
        validate_body(job_type, json.dumps(body))
    return refused.value.body()


def test_each_problem_names_its_field_in_our_words() -> None:
    # Given a body with a missing field, a wrong type and an over-long value
    body = {"choices": {"0": "poem"}, "count": "many"}
    # When it is validated
    refusal = _refusal(_PROBE, body)
    # Then every problem has a path and our sentence
    fields = {item["field"]: item["message"] for item in refusal["fields"]}
    assert fields == {
        "keyword": "Required.",
        "choices.0": "Must be one of 'bullet' or 'sentence'.",
        "count": "Must be a whole number.",
    }
    assert refusal["error"] == {
        "code": "validation_error",
        "message": "The request body does not fit the probe job.",
    }


def test_a_dict_key_the_client_made_up_is_not_echoed_in_the_path() -> None:
    # Given a client-chosen key carrying a marker, with a bad value
    refusal = _refusal(_PROBE, {"keyword": "Python", "choices": {CANARY: "poem"}})
    # Then the path hides the key, and nothing of what was sent comes back
    assert [item["field"] for item in refusal["fields"]] == ["choices.*"]
    assert CANARY not in json.dumps(refusal)


def test_our_validators_speak_without_pydantics_value_error_prefix() -> None:
    # Given CV objects that are empty, too deep and too large
    deep: dict[str, Any] = {"x": CANARY}
    for _ in range(12):
        deep = {"x": deep}
    cases = {
        "Must be a non-empty JSON object.": {},
        "Nests deeper than 10 levels.": deep,
    }
    for message, cv in cases.items():
        # When each is validated
        refusal = _refusal(_PROBE, {"keyword": "Python", "cv": cv})
        # Then the message is ours, and the value is not repeated
        assert refusal["fields"] == [
            {"field": "cv", "message": message, "type": refusal["fields"][0]["type"]}
        ]
        assert "Value error" not in json.dumps(refusal)
        assert CANARY not in json.dumps(refusal)
    too_large = _refusal(_PROBE, {"keyword": "Python", "cv": {"text": CANARY * 20_000}})
    assert too_large["fields"][0]["message"].endswith("the limit is 150000.")


def test_length_limits_are_stated_with_the_limit_not_the_value() -> None:
    refusal = _refusal(_PROBE, {"keyword": CANARY * 10})
    assert refusal["fields"][0] == {
        "field": "keyword",
        "message": "Must be at most 100 characters.",
        "type": "string_too_long",
    }
    assert CANARY not in json.dumps(refusal)
    empty = _refusal(_PROBE, {"keyword": "   "})
    assert empty["fields"][0]["message"] == "Must not be empty."


def test_a_short_cv_is_refused_with_our_sentence() -> None:
    refusal = _refusal(EXTRACT, {"cv_text": f"Jane Doe {CANARY} engineer"})
    assert refusal["fields"] == [
        {"field": "cv_text", "message": "A CV needs at least 30 words.", "type": "too_few_words"}
    ]
    assert CANARY not in json.dumps(refusal)


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", '"text"'])
def test_a_body_that_is_not_a_json_object_is_400_not_422(raw: str) -> None:
    with pytest.raises(InvalidJson):
        validate_body(EXTRACT, raw)


def test_every_step_has_a_distinct_provider_schema() -> None:
    # The fake providers tell steps apart by their schema (Gemini requests carry no schema name).
    schemas = [
        json.dumps(provider_schema(step.output_model), sort_keys=True)
        for job_type in JOB_TYPES
        for step in job_type.steps
    ]
    assert len(schemas) == len(set(schemas))
