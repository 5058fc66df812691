"""The OpenAPI document derived from the job-type registry: committed up to date, valid OpenAPI 3.1,
and complete (every job path with its request and result model, every refusal)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from cv_jobs.api.openapi import openapi_json
from cv_jobs.errors import JobErrorCode
from cv_jobs.job_types import JOB_TYPES, JobType
from cv_jobs.jobs import JobStatus
from tests.unit.openapi_support import COMMITTED_DOCUMENT, document

REGISTERED = [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES]
SCHEMA_REF = "#/components/schemas/"


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = ("get", "post", "delete", "put", "patch")
    return [
        (path, method, item[method])
        for path, item in doc["paths"].items()
        for method in methods
        if method in item
    ]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _component(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _own_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's schema as Pydantic writes it for validation, without the models it uses."""
    schema = model.model_json_schema(mode="validation", ref_template=SCHEMA_REF + "{model}")
    schema.pop("$defs", None)
    return schema


def test_committed_document_is_the_generated_one() -> None:
    # Given the document derived from the registry now
    generated = openapi_json()
    # When it is compared with the committed file
    committed = COMMITTED_DOCUMENT.read_text(encoding="utf-8") if COMMITTED_DOCUMENT.is_file() else ""
    # Then they are the same, byte for byte
    assert committed == generated, "docs/openapi.json is stale: run make openapi"


def test_document_is_valid_openapi_3_1() -> None:
    # Given the generated document
    doc = document()
    # When the OpenAPI 3.1 validator checks it, Then it raises nothing
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_every_reference_resolves() -> None:
    doc = document()
    refs = set(_refs(doc))
    assert refs
    for ref in sorted(refs):
        assert _component(doc, ref) is not None, ref


@pytest.mark.parametrize("job_type", REGISTERED)
def test_job_type_is_a_post_path_with_its_request_model(job_type: JobType[Any, Any]) -> None:
    # Given a registered job type
    doc = document()
    # When its path is looked up
    operation = doc["paths"][f"/ai/jobs/{job_type.path}"]["post"]
    # Then the body is its request model, the summary its own, and the answer a 202 JobAccepted
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert operation["requestBody"]["required"] is True
    assert _component(doc, body_ref) == _own_schema(job_type.request_model)
    assert operation["summary"] == job_type.summary
    assert operation["x-job-type"] == job_type.name
    assert operation["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/JobAccepted"
    )
    # And every refusal a create can meet is described
    # (401 where the environment turns on end-user identity)
    refusals = {"400", "401", "403", "409", "413", "422", "429", "500", "503"}
    assert set(operation["responses"]) == {"202", *refusals}
    # And the BYOK headers and the Idempotency-Key are optional parameters
    headers = [_component(doc, parameter["$ref"]) for parameter in operation["parameters"]]
    assert {(h["name"], h["in"], h["required"]) for h in headers} == {
        ("X-User-Provider", "header", False),
        ("X-User-Api-Key", "header", False),
        ("Idempotency-Key", "header", False),
    }
    # And a replayed 202 says so in a header
    assert set(operation["responses"]["202"]["headers"]) == {"Idempotent-Replayed"}


@pytest.mark.parametrize("job_type", REGISTERED)
def test_job_result_names_the_result_model_of_each_job_type(job_type: JobType[Any, Any]) -> None:
    # Given the job's result schema
    doc = document()
    job_result = doc["components"]["schemas"]["JobResult"]
    # When the job type's entry is followed
    ref = job_result["x-result-by-job-type"][job_type.name]
    # Then it is its result model, one of the result's branches, named in the description
    assert _component(doc, ref) == _own_schema(job_type.result_model)
    assert {"$ref": ref} in job_result["oneOf"]
    assert f"`{job_type.name}`" in job_result["description"]


def test_job_schema_carries_the_contract_and_the_registry() -> None:
    schemas = document()["components"]["schemas"]
    job = schemas["Job"]
    assert {"job_id", "status", "result", "error"} <= set(job["required"])
    assert job["properties"]["result"]["oneOf"] == [{"$ref": SCHEMA_REF + "JobResult"}, {"type": "null"}]
    assert job["properties"]["error"]["oneOf"] == [{"$ref": SCHEMA_REF + "JobError"}, {"type": "null"}]
    assert schemas["JobStatus"]["enum"] == [status.value for status in JobStatus]
    assert schemas["JobErrorCode"]["enum"] == [code.value for code in JobErrorCode]
    assert schemas["JobType"]["enum"] == [job_type.name for job_type in JOB_TYPES]


def test_operation_ids_are_unique_and_every_operation_needs_the_api_key() -> None:
    doc = document()
    operations = _operations(doc)
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids))
    assert doc["security"] == [{"ApiKey": []}]
    scheme = doc["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    for path, method, operation in operations:
        # No operation opts out of the document-wide API key requirement
        assert "security" not in operation, (path, method)
        # API Gateway's refusals can meet every one of them
        assert {"403", "429"} <= set(operation["responses"]), (path, method)


def test_job_lookup_cancel_and_document_paths() -> None:
    paths = document()["paths"]
    by_id = paths["/ai/jobs/{job_id}"]
    assert set(by_id["get"]["responses"]) == {"200", "401", "403", "404", "429", "500"}
    assert by_id["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Job")
    assert by_id["delete"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/JobCancelled"
    )
    assert by_id["get"]["responses"]["404"] == {"$ref": "#/components/responses/JobNotFound"}
    assert "200" in paths["/ai/openapi.json"]["get"]["responses"]


def test_every_error_body_has_the_error_shape() -> None:
    doc = document()
    for name, response in doc["components"]["responses"].items():
        schema = _component(doc, response["content"]["application/json"]["schema"]["$ref"])
        # Every refusal is {"error": {"code", "message"}, "detail"}
        assert {"error", "detail"} <= set(schema["required"]), name
        assert set(schema["properties"]["error"]["required"]) == {"code", "message"}, name
    fields = _component(doc, "#/components/schemas/ValidationFailedBody")["properties"]["fields"]
    assert _component(doc, fields["items"]["$ref"])["required"] == ["field", "message", "type"]
