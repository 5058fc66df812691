"""The fake providers' answers reflect the input, for every registered job type: the same job with one
input changed (another CV, job description, section, keyword, context or answers) gives another
result, so an offline demo with two different inputs shows two different results.

Each variant runs over OpenAI BYOK and is compared with the session's example job on that route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cv_jobs.job_types import JOB_TYPES, JobType
from local.examples import cv_data_example, example_request, mark, sample_text
from tests.e2e.job_runs import ExampleJobs, RanJob, run_jobs
from tests.e2e.support import ROUTES, GatewayClient, LocalStack, new_marker

pytestmark = pytest.mark.e2e

OPENAI_BYOK = ROUTES[0]
OTHER_CV = "cv_nurse_career_change.txt"
OTHER_JOB = "jd_frontend_intern.txt"


def _with(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {**body, **changes}


def _fewer_roles(body: dict[str, Any]) -> dict[str, Any]:
    cv_data = cv_data_example()
    cv_data["experience"] = cv_data["experience"][:1]  # one role: other career facts
    return {**body, "cv_data": cv_data}


# Job path -> (how the variant's body differs from the example, the result field that must differ).
VARIATIONS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "extract": (_with(cv_text=sample_text(OTHER_CV)), "personal"),
    "tailor": (_with(user_cv_text=sample_text(OTHER_CV)), "personal"),
    "evaluate": (_with(job_description=sample_text(OTHER_JOB)), "individual_evaluations"),
    "rephrase": (
        _with(section_content="Built route-optimisation microservice in Go serving 300 warehouses."),
        "rephrased_content",
    ),
    "recommend": (_fewer_roles, "reasoning"),
    "inject-keyword": (_with(keyword="DynamoDB"), "rephrased_content"),
    "elaborate": (
        _with(user_context="I also wrote the runbook for EventBridge replays used by the on-call rotation."),
        "rephrased_content",
    ),
    "improve-from-feedback": (
        _with(user_responses=["I reviewed every settlement change as the backend guild lead."]),
        "improvement_content",
    ),
}
REGISTERED = [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES]


@pytest.fixture(scope="module")
def variants(local_stack: LocalStack, gateway: GatewayClient) -> dict[str, RanJob]:
    """Each registered job type's variant, run over OpenAI BYOK."""
    jobs = []
    for job_type in JOB_TYPES:
        change, _ = VARIATIONS[job_type.path]
        marker = new_marker()
        jobs.append((job_type, OPENAI_BYOK, mark(change(example_request(job_type.path)), marker), marker))
    return {ran.job_type.name: ran for ran in run_jobs(local_stack, gateway, jobs)}


def test_every_registered_job_type_has_a_variation() -> None:
    # Given / When / Then each registered path has an input variation here
    assert {job_type.path for job_type in JOB_TYPES} <= set(VARIATIONS)


@pytest.mark.parametrize("job_type", REGISTERED)
def test_another_input_gives_another_result(
    example_jobs: ExampleJobs, variants: dict[str, RanJob], job_type: JobType[Any, Any]
) -> None:
    # Given the example job and its variant with one input changed, both run on the same provider
    base = example_jobs[(job_type.name, OPENAI_BYOK.id)].job
    variant = variants[job_type.name].job
    assert (base["status"], variant["status"]) == ("succeeded", "succeeded"), (base, variant)

    # When their results are compared
    _, field = VARIATIONS[job_type.path]

    # Then the field the change should move did move
    assert base["result"][field] != variant["result"][field], field


@pytest.mark.parametrize("path", ["extract", "tailor"])
def test_two_sample_cvs_give_two_names_each_from_its_own_cv(
    example_jobs: ExampleJobs, variants: dict[str, RanJob], path: str
) -> None:
    # Given a CV job run on the backend engineer's CV and on the nurse's
    names = {job_type.path: job_type.name for job_type in JOB_TYPES}
    if path not in names:
        pytest.skip(f"{path} is not registered")
    runs = [example_jobs[(names[path], OPENAI_BYOK.id)], variants[names[path]]]

    # When the names are read from the two results
    people = [(ran.job["result"]["personal"]["name"], ran.body) for ran in runs]

    # Then they differ, and each is the name its own CV gives
    assert people[0][0] != people[1][0]
    for name, body in people:
        assert name, body
        cv_text = body.get("cv_text") or body["user_cv_text"]
        assert name.casefold() in cv_text.casefold(), name


@pytest.mark.parametrize(
    "job_type",
    [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES if job_type.path == "rephrase"],
)
def test_rephrase_echoes_the_submitted_section_as_original_content(
    variants: dict[str, RanJob], job_type: JobType[Any, Any]
) -> None:
    # Given a rephrase job
    ran = variants[job_type.name]

    # When its result is read
    result = ran.job["result"]

    # Then the original is the section as submitted (as validated: trimmed), and it was changed
    submitted = job_type.request_model.model_validate(ran.body).section_content
    assert result["original_content"] == submitted
    assert result["rephrased_content"] != submitted
    assert result["section_type"] == ran.body["section_type"]
