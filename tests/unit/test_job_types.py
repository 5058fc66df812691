"""The registry, the provider schema derived from each step's output model, and extract's CVData."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cv_jobs.job_types import BY_NAME, BY_PATH, JOB_TYPES
from cv_jobs.job_types.cv_data import CVData, CvOut
from cv_jobs.job_types.dates import parse_cv_date
from cv_jobs.job_types.extract import EXTRACT, ExtractRequest
from cv_jobs.job_types.schema import provider_schema
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


STEPS = [(job_type, step) for job_type in JOB_TYPES for step in job_type.steps]


@pytest.mark.parametrize(("job_type", "step"), STEPS, ids=lambda x: getattr(x, "name", ""))
def test_provider_schema_is_closed_and_self_contained(job_type: Any, step: Any) -> None:
    schema = provider_schema(step.output_model)
    assert "$ref" not in str(schema)
    assert "$defs" not in schema
    objects = _objects(schema)
    assert objects
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])


def test_every_job_type_has_steps_with_unique_names() -> None:
    for job_type in JOB_TYPES:
        names = [step.name for step in job_type.steps]
        assert names, job_type.name
        assert len(names) == len(set(names)), job_type.name


def _extract_answer(**changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "personal": {
            "name": "  Maya   Okonkwo ",
            "email": "maya@example.com",
            "phone": None,
            "location": None,
            "website": None,
            "linkedin": "linkedin.com/in/maya",
            "github": None,
        },
        "professional_summary": None,
        "experience": [
            {
                "company": "Fjordpay AB",
                "role": "Senior Backend Engineer",
                "startDate": "Mar 2021",
                "endDate": "Present",
                "location": None,
                "description": None,
                "achievements": ["Led a migration.", "  ", "Cut costs 28%."],
            }
        ],
        "education": [
            {
                "institution": "KTH",
                "degree": "MSc",
                "field": "Computer Science",
                "startDate": "2014",
                "endDate": "2016",
                "gpa": None,
            }
        ],
        "projects": [
            {
                "name": "queue-lens",
                "description": None,
                "tech_stack": ["Python", "python", "boto3"],
                "link": None,
                "startDate": "2023",
                "endDate": None,
            }
        ],
        "skills": {"technical": ["Python", "python ", "Go", ""], "soft": [], "languages": ["English"]},
        "licenses_certifications": [
            {"name": "AWS SA Pro", "issuer": "AWS", "date": "Nov 2022", "expiry": "sometime"}
        ],
        "target_job": {"title": "Platform Engineer", "company": None},
    }
    answer.update(changes)
    return answer


def test_extract_result_uses_the_frontends_field_names_with_dates_computed_in_code() -> None:
    # Given the model's answer, with dates as text and nulls
    output = CvOut.model_validate(_extract_answer())
    request = ExtractRequest(cv_text=sample("cv_backend_engineer.txt"))
    # When the result is assembled
    result = EXTRACT.result(request, {"extract": output})
    # Then it is CVData with "" for missing strings and *Value dates parsed from the text
    CVData.model_validate(result)
    assert result["personal"] == {
        "name": "Maya Okonkwo",
        "email": "maya@example.com",
        "phone": "",
        "location": "",
        "website": "",
        "linkedin": "linkedin.com/in/maya",
        "github": "",
    }
    assert result["professional_summary"] == ""
    [job] = result["experience"]
    assert job["startDateValue"] == {"year": 2021, "month": 3, "day": None, "isPresent": False}
    assert job["endDateValue"] == {"year": None, "month": None, "day": None, "isPresent": True}
    assert job["achievements"] == ["Led a migration.", "Cut costs 28%."]
    assert result["education"][0]["endDateValue"]["year"] == 2016
    assert result["projects"][0]["tech_stack"] == ["Python", "boto3"]
    assert result["projects"][0]["endDateValue"] is None
    assert result["skills"]["technical"] == ["Python", "Go"]
    [licence] = result["licenses_certifications"]
    assert licence["dateValue"] == {"year": 2022, "month": 11, "day": None, "isPresent": False}
    assert licence["expiryValue"] is None
    assert licence["expiry"] == "sometime"
    # And without a job description there is no target_job, whatever the model wrote
    assert "target_job" not in result


def test_extract_with_a_job_description_has_a_target_job() -> None:
    output = CvOut.model_validate(_extract_answer())
    request = ExtractRequest(
        cv_text=sample("cv_backend_engineer.txt"), job_description=sample("jd_platform_engineer.txt")
    )
    result = EXTRACT.result(request, {"extract": output})
    assert result["target_job"] == {"title": "Platform Engineer", "company": ""}
    blank = CvOut.model_validate(_extract_answer(target_job=None))
    assert EXTRACT.result(request, {"extract": blank})["target_job"] == {"title": "", "company": ""}


def test_a_blank_job_description_means_none() -> None:
    request = ExtractRequest.model_validate(
        {"cv_text": sample("cv_backend_engineer.txt"), "job_description": "  "}
    )
    assert request.job_description is None


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
    assert error.value.errors()[0]["msg"] == "A CV needs at least 30 words."


def test_extra_fields_from_the_frontend_are_ignored() -> None:
    request = ExtractRequest.model_validate({"cv_text": sample("cv_backend_engineer.txt"), "locale": "en"})
    assert not hasattr(request, "locale")
