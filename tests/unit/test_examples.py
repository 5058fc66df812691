"""The shared request examples (local/examples.py): one for every registered job type, each valid
against its job type's request model, realistic (from samples/) and markable."""

from __future__ import annotations

from typing import Any

import pytest

from cv_jobs.job_types import JOB_TYPES, JobType
from cv_jobs.job_types.cv_data import CVData
from cv_jobs.job_types.dates import DateValue
from local.examples import (
    EXAMPLE_PATHS,
    cv_data_example,
    example_request,
    sample_names,
    sample_text,
)

REGISTERED = [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES]


def test_every_registered_job_type_has_an_example() -> None:
    # Given the registry and the examples
    registered = {job_type.path for job_type in JOB_TYPES}

    # When the two are compared
    missing = registered - set(EXAMPLE_PATHS)

    # Then no registered path lacks an example
    assert not missing, f"job types without an example in local/examples.py: {sorted(missing)}"


def test_examples_cover_exactly_the_contracts_eight_paths() -> None:
    # Given DESIGN §2's job paths
    contract = {
        "extract",
        "tailor",
        "evaluate",
        "rephrase",
        "recommend",
        "inject-keyword",
        "elaborate",
        "improve-from-feedback",
    }

    # When / Then the examples are keyed by exactly those paths (hyphens, as the frontend calls them)
    assert set(EXAMPLE_PATHS) == contract


@pytest.mark.parametrize("job_type", REGISTERED)
def test_example_validates_against_its_request_model(job_type: JobType[Any, Any]) -> None:
    # Given the example body of a registered job type
    body = example_request(job_type.path)

    # When its request model validates it
    request = job_type.request_model.model_validate(body)

    # Then every field the example sets survives validation (nothing was silently ignored)
    dumped = request.model_dump(mode="json")
    assert set(body) <= set(dumped), f"fields the model does not know: {set(body) - set(dumped)}"


@pytest.mark.parametrize("job_type", REGISTERED)
def test_marked_example_carries_the_marker_and_still_validates(job_type: JobType[Any, Any]) -> None:
    # Given a unique marker
    marker = "unit-marker-5f0c2a"

    # When an example is built with it
    body = example_request(job_type.path, marker=marker)

    # Then it is in the job description, the body still validates, and the unmarked body has no marker
    assert marker in body["job_description"]
    job_type.request_model.model_validate(body)
    assert marker not in repr(example_request(job_type.path))


@pytest.mark.parametrize("cv", sample_names("cv_"))
@pytest.mark.parametrize("job", sample_names("jd_"))
def test_every_sample_pair_makes_a_valid_extract_request(cv: str, job: str) -> None:
    from cv_jobs.job_types import BY_PATH

    # Given any sample CV and job description
    # When an extract example is built from them
    body = example_request("extract", cv=cv, job_description=job)

    # Then it carries those texts and validates
    assert body["cv_text"] == sample_text(cv)
    assert body["job_description"] == sample_text(job)
    BY_PATH["extract"].request_model.model_validate(body)


def test_extract_example_without_a_job_description_leaves_the_field_out() -> None:
    # Given / When an extract example with no job description
    body = example_request("extract", job_description=None)

    # Then the optional field is absent rather than null
    assert "job_description" not in body
    assert body["cv_text"].startswith("MAYA OKONKWO-LINDQVIST")


def test_unknown_job_path_is_refused_with_the_known_paths() -> None:
    # Given / When an example for a path that is not part of the contract
    with pytest.raises(KeyError, match="inject-keyword"):
        example_request("inject_keyword")  # the stored name, not the path


def test_cv_data_example_is_the_frontends_cvdata_with_dates_computed_in_code() -> None:
    # Given / When the backend engineer's CVData example
    data = cv_data_example()

    # Then it is a CVData as serialised for the frontend, with each *Value parsed from its text
    assert CVData.model_validate(data).model_dump(mode="json") == data
    latest = data["experience"][0]
    assert (latest["company"], latest["startDate"], latest["endDate"]) == (
        "Fjordpay AB",
        "Mar 2021",
        "Present",
    )
    assert latest["startDateValue"] == DateValue(year=2021, month=3).model_dump()
    assert latest["endDateValue"] == DateValue(isPresent=True).model_dump()
    assert data["personal"]["website"] == ""  # not in the CV: "" where the frontend expects a string
    assert "target_job" not in data
