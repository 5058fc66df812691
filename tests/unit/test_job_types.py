"""The registry, the provider schema derived from each output model, and date post-processing."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cv_jobs.job_types import BY_NAME, BY_PATH, JOB_TYPES
from cv_jobs.job_types.dates import DateValue, parse_cv_date
from cv_jobs.job_types.extract import ExtractOutput, ExtractRequest, ExtractResult, postprocess
from cv_jobs.job_types.schema import provider_schema
from local.schema_sample import sample_instance
from tests.unit.samples import sample


def test_registry_paths_use_hyphens_and_names_underscores() -> None:
    for job_type in JOB_TYPES:
        assert job_type.name == job_type.path.replace("-", "_")
        assert BY_NAME[job_type.name] is BY_PATH[job_type.path] is job_type


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for item in node:
            found += _objects(item)
    return found


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=lambda jt: jt.name)
def test_provider_schema_is_closed_and_self_contained(job_type: Any) -> None:
    schema = provider_schema(job_type.output_model)
    assert "$ref" not in str(schema)
    assert "$defs" not in schema
    objects = _objects(schema)
    assert objects
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=lambda jt: jt.name)
def test_an_answer_that_fits_the_schema_validates_and_post_processes(job_type: Any) -> None:
    answer = sample_instance(provider_schema(job_type.output_model))
    output = job_type.output_model.model_validate(answer)
    request = job_type.request_model.model_validate({"cv_text": sample("cv_messy_new_grad.txt")})
    job_type.result_model.model_validate(job_type.postprocess(output, request))


def test_extract_post_processing_normalises_dates_and_skills() -> None:
    output = ExtractOutput.model_validate(
        {
            "personal": {
                "full_name": "A",
                "headline": None,
                "email": None,
                "phone": None,
                "location": None,
                "links": [],
            },
            "summary": None,
            "experience": [
                {
                    "title": "Engineer",
                    "company": "X",
                    "location": None,
                    "start_date": "Mar 2021",
                    "end_date": "Present",
                    "highlights": [],
                }
            ],
            "education": [],
            "skills": ["Python", "python ", "Go", ""],
            "projects": [],
            "certifications": [{"name": "CKA", "issuer": None, "date": "2023-11"}],
            "languages": [],
        }
    )
    request = ExtractRequest(cv_text=sample("cv_backend_engineer.txt"))
    result = ExtractResult.model_validate(postprocess(output, request))
    assert result.experience[0].start_date == DateValue(year=2021, month=3)
    assert result.experience[0].end_date == DateValue(isPresent=True)
    assert result.certifications[0].date == DateValue(year=2023, month=11)
    assert result.skills == ["Python", "Go"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03", {"year": 2021, "month": 3, "day": None, "isPresent": False}),
        ("03/2021", {"year": 2021, "month": 3, "day": None, "isPresent": False}),
        ("September 2019", {"year": 2019, "month": 9, "day": None, "isPresent": False}),
        ("Sept. 2019", {"year": 2019, "month": 9, "day": None, "isPresent": False}),
        ("2020", {"year": 2020, "month": None, "day": None, "isPresent": False}),
        ("15.04.2022", {"year": 2022, "month": 4, "day": 15, "isPresent": False}),
        ("  present ", {"year": None, "month": None, "day": None, "isPresent": True}),
        ("Current", {"year": None, "month": None, "day": None, "isPresent": True}),
    ],
)
def test_cv_dates_become_structured_values(text: str, expected: dict[str, Any]) -> None:
    parsed = parse_cv_date(text)
    assert parsed is not None
    assert parsed.model_dump() == expected


@pytest.mark.parametrize("text", [None, "", "sometime", "2021-13", "Smarch 2020", "0042"])
def test_dates_that_cannot_be_read_are_null_not_guessed(text: str | None) -> None:
    assert parse_cv_date(text) is None


def test_a_cv_of_a_few_words_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        ExtractRequest(cv_text="Jane Doe, engineer, Python")
    assert error.value.errors()[0]["loc"] == ("cv_text",)


def test_extra_fields_from_the_frontend_are_ignored() -> None:
    request = ExtractRequest.model_validate({"cv_text": sample("cv_backend_engineer.txt"), "locale": "en"})
    assert not hasattr(request, "locale")
