"""The api Lambda against its own OpenAPI document: the document is served at GET /ai/openapi.json,
built on its first request only, and what the handler answers fits the schemas it describes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from pydantic import BaseModel

from cv_jobs.api import handler
from cv_jobs.api.handler import lambda_handler
from cv_jobs.aws.dynamo_json import to_dynamo
from cv_jobs.errors import JobErrorCode, JobFailure
from cv_jobs.job_types import JOB_TYPES, JobType
from cv_jobs.job_types.schema import provider_schema
from local.examples import example_request
from local.fakes.answers import fake_answer
from tests.unit.conftest import Aws
from tests.unit.events import api_context, api_event, job_event
from tests.unit.openapi_support import REPO_ROOT, document, problems

REGISTERED = [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES]
FIRST_PATH = f"/ai/jobs/{JOB_TYPES[0].path}"


def call(event: dict[str, Any]) -> tuple[int, Any, dict[str, Any]]:
    response = lambda_handler(event, api_context())
    return response["statusCode"], json.loads(response["body"]), response.get("headers") or {}


def post(job_type: JobType[Any, Any], body: Any) -> tuple[int, Any]:
    status, payload, _ = call(api_event("POST", f"/ai/jobs/{job_type.path}", body=body))
    return status, payload


def fake_result(job_type: JobType[Any, Any], request: BaseModel) -> dict[str, Any]:
    """The job's result as the worker would store it, from the fake provider's answers: each step's
    answer validated like the worker does, then the job type's own `assemble`."""
    outputs: dict[str, BaseModel] = {}
    for step in job_type.steps:
        prompt = step.prompt(request, outputs)
        answer = fake_answer(provider_schema(step.output_model), system=prompt.system, user=prompt.user)
        outputs[step.name] = step.output_model.model_validate(answer, context=request)
    return job_type.result(request, outputs)


def set_status(aws: Aws, job_id: str, status: str, **fields: Any) -> None:
    names = {"#status": "status", **{f"#{name}": name for name in fields}}
    values = to_dynamo({":status": status, **{f":{name}": value for name, value in fields.items()}})
    assignments = ", ".join(["#status = :status", *(f"#{name} = :{name}" for name in fields)])
    aws.table.update_item(
        Key={"job_id": job_id},
        UpdateExpression=f"SET {assignments}",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def test_document_is_served_as_json(aws: Aws) -> None:
    # Given the api
    # When the document is requested
    response = lambda_handler(api_event("GET", "/ai/openapi.json"), api_context())
    # Then it is the document derived from the registry, as JSON
    assert response["statusCode"] == 200
    headers = {name.lower(): value for name, value in (response.get("multiValueHeaders") or {}).items()}
    assert headers["content-type"] == ["application/json"]
    assert json.loads(response["body"]) == document()


def test_document_is_built_on_its_first_request_only(aws: Aws) -> None:
    # Given a fresh process's state
    handler.openapi_text.cache_clear()
    # When other routes are used, Then the document is not built
    post(JOB_TYPES[0], {})
    call(job_event("GET", "3f1d9a56-0c1b-4b6e-9d1a-2f3c4d5e6f70"))
    assert handler.openapi_text.cache_info().currsize == 0
    # When it is requested twice, Then it is built once
    call(api_event("GET", "/ai/openapi.json"))
    call(api_event("GET", "/ai/openapi.json"))
    info = handler.openapi_text.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_importing_the_api_handler_does_not_import_the_generator() -> None:
    # Given a fresh interpreter, as at a cold start
    code = "import sys, cv_jobs.api.handler; print('cv_jobs.api.openapi' in sys.modules)"
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "functions")}
    # When the handler module is imported
    completed = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    # Then the OpenAPI module is not
    assert completed.stdout.strip() == "False"


@pytest.mark.parametrize("job_type", REGISTERED)
def test_empty_body_is_refused_naming_exactly_the_documented_required_fields(
    aws: Aws, job_type: JobType[Any, Any]
) -> None:
    # Given the request schema the document gives for the job type
    doc = document()
    body_ref = doc["paths"][f"/ai/jobs/{job_type.path}"]["post"]["requestBody"]["content"]["application/json"]
    required = doc["components"]["schemas"][body_ref["schema"]["$ref"].rsplit("/", 1)[-1]]["required"]
    # When an empty object is posted
    status, body = post(job_type, {})
    # Then the 422 fits the document and names the required fields, no more, no fewer
    assert status == 422
    assert problems("ValidationFailedBody", body) == []
    assert {problem["field"] for problem in body["fields"]} == set(required)


@pytest.mark.parametrize("job_type", REGISTERED)
def test_a_job_fits_the_document_from_creation_to_result(aws: Aws, job_type: JobType[Any, Any]) -> None:
    # Given a valid request of the job type
    body = example_request(job_type.path)
    # When it is posted, Then the 202 fits JobAccepted
    status, accepted = post(job_type, body)
    assert status == 202
    assert problems("JobAccepted", accepted) == []
    job_id = accepted["job_id"]
    # And the queued job fits Job
    status, queued, _ = call(job_event("GET", job_id))
    assert (status, problems("Job", queued)) == (200, [])
    # When the worker has stored a result (the fake provider's answers, the job type's assemble)
    result = fake_result(job_type, job_type.request_model.model_validate(body))
    usage = {"model": "gpt-test", "calls": len(job_type.steps), "input_tokens": 10, "total_tokens": 12}
    set_status(aws, job_id, "succeeded", result=result, usage=usage, model="gpt-test")
    # Then the job fits Job, and its result fits exactly one of the documented result shapes
    status, succeeded, _ = call(job_event("GET", job_id))
    assert (status, succeeded["status"]) == (200, "succeeded")
    assert problems("Job", succeeded) == []
    # And the branch it fits is the one the document names for its job type
    named = document()["components"]["schemas"]["JobResult"]["x-result-by-job-type"][job_type.name]
    assert problems(named.rsplit("/", 1)[-1], succeeded["result"]) == []
    # And cancelling it now answers 200 with the status unchanged, fitting JobCancelled
    status, cancelled, _ = call(job_event("DELETE", job_id))
    assert (status, cancelled["status"], problems("JobCancelled", cancelled)) == (200, "succeeded", [])


def test_failed_and_cancelled_jobs_fit_the_document(aws: Aws) -> None:
    # Given a job failed with each error code the worker can record
    job_type = JOB_TYPES[0]
    for code in JobErrorCode:
        _, accepted = post(job_type, example_request(job_type.path))
        set_status(aws, accepted["job_id"], "failed", error=JobFailure(code).as_error())
        # When it is read, Then it fits Job
        status, failed, _ = call(job_event("GET", accepted["job_id"]))
        assert (status, failed["error"]["code"], problems("Job", failed)) == (200, code.value, [])
    # Given a queued job, When it is cancelled, Then the answer and the job fit the document
    _, accepted = post(job_type, example_request(job_type.path))
    status, cancelled, _ = call(job_event("DELETE", accepted["job_id"]))
    assert (status, problems("JobCancelled", cancelled)) == (200, [])
    assert problems("Job", call(job_event("GET", accepted["job_id"]))[1]) == []


@pytest.mark.parametrize(
    ("event", "status", "schema"),
    [
        pytest.param(api_event("POST", FIRST_PATH, body="{no"), 400, "BadRequestBody", id="invalid_json"),
        pytest.param(
            api_event("POST", FIRST_PATH, body={}, headers={"X-User-Provider": "openai"}),
            400,
            "BadRequestBody",
            id="one_byok_header",
        ),
        pytest.param(
            api_event("POST", FIRST_PATH, body={"cv_text": "x" * 400_000}),
            413,
            "PayloadTooLargeBody",
            id="too_large",
        ),
        pytest.param(
            job_event("GET", "3f1d9a56-0c1b-4b6e-9d1a-2f3c4d5e6f70"), 404, "JobNotFoundBody", id="no_job"
        ),
        pytest.param(job_event("DELETE", "not-a-uuid"), 404, "JobNotFoundBody", id="bad_id"),
        pytest.param(
            api_event("POST", "/ai/jobs/summarise", body={}), 404, "RouteNotFoundBody", id="no_route"
        ),
    ],
)
def test_refusals_fit_their_documented_bodies(
    aws: Aws, event: dict[str, Any], status: int, schema: str
) -> None:
    # When the api refuses a request
    got, body, _ = call(event)
    # Then the status and the body are the documented ones
    assert got == status
    assert problems(schema, body) == []
