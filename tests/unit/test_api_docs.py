"""docs/api.md, the frontend's contract, against the code: a result example for every registered job
type that its result model and the OpenAPI document accept, and every path and error code named."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cv_jobs.errors import JobErrorCode
from cv_jobs.job_types import BY_NAME, JOB_TYPES, JobType
from tests.unit.openapi_support import REPO_ROOT, document, problems

API_MD = REPO_ROOT / "docs" / "api.md"
REGISTERED = [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES]
# An example: a marker line naming the job type (a result) or the component schema (a response body)
# it is an example of, then a fenced JSON block.
_EXAMPLE = re.compile(r"<!-- result: (?P<name>[a-z_]+) -->\n```json\n(?P<body>.*?)\n```", re.DOTALL)
_BODY = re.compile(r"<!-- schema: (?P<name>[A-Za-z]+) -->\n```json\n(?P<body>.*?)\n```", re.DOTALL)


def _text() -> str:
    return API_MD.read_text(encoding="utf-8")


def _examples() -> list[tuple[str, Any]]:
    return [(match["name"], json.loads(match["body"])) for match in _EXAMPLE.finditer(_text())]


def test_every_example_names_a_registered_job_type() -> None:
    # Given the examples in api.md
    names = [name for name, _ in _examples()]
    # Then there are some, and none names a job type the registry does not have
    assert names
    assert set(names) <= set(BY_NAME), sorted(set(names) - set(BY_NAME))


@pytest.mark.parametrize("job_type", REGISTERED)
def test_result_examples_are_exactly_what_the_service_returns(job_type: JobType[Any, Any]) -> None:
    # Given the job type's examples in api.md
    examples = [example for name, example in _examples() if name == job_type.name]
    assert examples, f"docs/api.md has no result example for {job_type.name}"
    named = document()["components"]["schemas"]["JobResult"]["x-result-by-job-type"][job_type.name]
    for example in examples:
        # When the result model reads it, Then it writes back the very same JSON
        assert job_type.result_model.model_validate(example).model_dump(mode="json") == example
        # And the OpenAPI document accepts it as a job result (exactly one branch of the oneOf)
        assert problems("JobResult", example) == []
        assert problems(named.rsplit("/", 1)[-1], example) == []


def test_response_examples_fit_their_schemas() -> None:
    # Given the response examples in api.md (the 202, a job, an error body)
    bodies = [(match["name"], json.loads(match["body"])) for match in _BODY.finditer(_text())]
    assert {name for name, _ in bodies} >= {"JobAccepted", "Job", "ValidationFailedBody"}
    # Then each fits the schema the OpenAPI document gives it
    for name, body in bodies:
        assert problems(name, body) == [], name


def test_every_job_path_is_documented() -> None:
    text = _text()
    for job_type in JOB_TYPES:
        assert f"| `{job_type.path}` |" in text, job_type.path


def test_every_error_code_is_documented() -> None:
    # Given the codes the service can answer with: refusals (from the document) and job errors
    schemas = document()["components"]["schemas"]
    refusals = {
        code
        for name, schema in schemas.items()
        if name.endswith("Body")
        for code in schema["properties"]["error"]["properties"]["code"].get("enum", [])
    }
    codes = refusals | {code.value for code in JobErrorCode}
    # Then each has its row in api.md
    text = _text()
    missing = sorted(code for code in codes if f"| `{code}`" not in text)
    assert not missing, f"error codes without a row in docs/api.md: {missing}"


def test_links_point_at_the_generated_artefacts() -> None:
    text = _text()
    for target in (
        "openapi.json",
        "../clients/typescript/cv-ai-jobs.d.ts",
        "../clients/typescript/README.md",
    ):
        assert f"]({target})" in text, target
        assert (API_MD.parent / target).resolve().is_file(), target
