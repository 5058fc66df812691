"""The API's OpenAPI 3.1 document, derived from the job-type registry: a `POST /ai/jobs/{path}` per
job type with its request model, the job lookup and cancel with every result model, the error
bodies of every refusal.

The api serves it at `GET /ai/openapi.json` (built on first request); `make openapi` writes it to
docs/openapi.json (`python -m cv_jobs.api.openapi`) and the frontend's TypeScript types from that.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from cv_jobs.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from cv_jobs.api.openapi_errors import ERRORS, error_components
from cv_jobs.api.openapi_helpers import ref, schema_ref
from cv_jobs.api.openapi_jobs import job_schemas, key_check_schemas
from cv_jobs.api.openapi_parameters import byok_parameters, idempotency_parameter, security_schemes
from cv_jobs.job_types import JOB_TYPES, JobType

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_REF_TEMPLATE = "#/components/schemas/{model}"

_DESCRIPTION = """Asynchronous AI jobs for a CV builder. POST a job, poll `GET /ai/jobs/{job_id}` \
until its status is final, read `result` (or `error`).

Every request carries the environment's API key in `X-API-Key`. A job runs with the service's own \
key, or with the user's own provider key (BYOK) when both `X-User-Provider` and `X-User-Api-Key` \
are sent; jobs on the service's key are limited per day (429 `system_budget_exhausted`). A job \
belongs to the API key that created it (and, where the environment turns on end-user identity, to \
the user whose `Authorization: Bearer` token created it): anyone else gets 404 for it. Every error \
body is `{"error": {"code", "message"}, "detail"}` (422s add `fields`); an unknown method or path is \
a 404 with code `route_not_found`. The contract for frontend developers: docs/api.md."""

# Refusals every method can meet (API Gateway's and the api's own).
_ALWAYS = ("Forbidden", "TooManyRequests", "InternalError")
_CREATE = (
    "BadRequest",
    "Unauthorized",
    "IdempotencyConflict",
    "PayloadTooLarge",
    "ValidationFailed",
    "ServiceUnavailable",
    *_ALWAYS,
)
_BY_ID = ("Unauthorized", "JobNotFound", *_ALWAYS)


def openapi_document() -> dict[str, Any]:
    """The whole document. Deterministic: the same registry gives the same JSON, key for key."""
    names, model_schemas = _model_schemas()
    result_refs = {job_type.name: names[job_type.result_model] for job_type in JOB_TYPES}
    error_schemas, error_responses = error_components()
    schemas = {
        **model_schemas,
        **job_schemas([job_type.name for job_type in JOB_TYPES], result_refs),
        **key_check_schemas(),
        **error_schemas,
    }
    paths: dict[str, Any] = {
        f"/ai/jobs/{job_type.path}": {"post": _create(job_type, names)} for job_type in JOB_TYPES
    }
    paths["/ai/jobs/{job_id}"] = {
        "parameters": [
            {
                "name": "job_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "format": "uuid"},
                "description": "The id the job's POST answered with.",
            }
        ],
        "get": _operation(
            "getJob",
            "Read a job: its status, then its result or error",
            "Poll with backoff until `status` is succeeded, failed or cancelled.",
            ("200", "The job.", "Job"),
            _BY_ID,
        ),
        "delete": _operation(
            "cancelJob",
            "Cancel a queued or running job",
            "A job that has already finished keeps its status (still 200); no result is ever "
            "written over `cancelled`.",
            ("200", "The job's status after the cancel.", "JobCancelled"),
            _BY_ID,
        ),
    }
    paths["/ai/keys/test"] = {"post": _key_test()}
    paths["/ai/openapi.json"] = {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "tags": ["meta"],
            "responses": {
                "200": {
                    "description": "The OpenAPI document, derived from the job-type registry.",
                    "content": {
                        "application/json": {"schema": {"type": "object", "additionalProperties": True}}
                    },
                },
                **_responses(_ALWAYS),
            },
        }
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "CV AI Jobs", "version": API_VERSION, "description": _DESCRIPTION},
        "servers": [
            {
                "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
                "description": "A deployed environment: the stack's ApiUrl output.",
                "variables": {
                    "restApiId": {"default": "abcdef1234", "description": "The REST API's id."},
                    "region": {"default": "eu-west-1"},
                    "stage": {"default": "dev", "description": "The environment's name."},
                },
            },
            {"url": "http://127.0.0.1:3000", "description": "Local mode (`make run`)."},
        ],
        "security": [{"ApiKey": []}],
        "tags": [
            {"name": "jobs", "description": "Create, read and cancel AI jobs."},
            {"name": "keys", "description": "Check a user's own provider key before a job runs with it."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": error_responses,
            "parameters": {**byok_parameters(), **idempotency_parameter()},
            "securitySchemes": security_schemes(),
        },
    }


def openapi_json() -> str:
    """The document as committed in docs/openapi.json and served: pretty-printed, final newline."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def _model_schemas() -> tuple[dict[type[BaseModel], str], dict[str, Any]]:
    """Every request and result model, with the models they use, as components/schemas; and
    each registered model's schema name.

    Validation mode for both: a request is what the api validates, and a result is what its model
    validates (its serialization schema loses the shape where a model customises its dump)."""
    models = list(
        dict.fromkeys(
            model for job_type in JOB_TYPES for model in (job_type.request_model, job_type.result_model)
        )
    )
    keys, top = models_json_schema([(model, "validation") for model in models], ref_template=_REF_TEMPLATE)
    names = {model: keys[(model, "validation")]["$ref"].rsplit("/", 1)[-1] for model in models}
    return names, top.get("$defs", {})


def _key_test() -> dict[str, Any]:
    operation = _operation(
        "testKey",
        "Check the user's own provider key",
        "Asks the provider whether the key works, and whether the models this environment uses are "
        "available to it, with the provider's model-info calls (no tokens are spent). Answers at "
        "once; nothing is stored. Whether the key has credit left only a job can find out.",
        ("200", "The key's check (also when the provider refused the key).", "KeyCheck"),
        ("BadRequest", *_ALWAYS),
    )
    operation["tags"] = ["keys"]
    # Both headers are required here: there is no service key to test.
    operation["parameters"] = [{**parameter, "required": True} for parameter in byok_parameters().values()]
    return operation


def _operation_id(job_type: JobType[Any, Any]) -> str:
    words = re.split(r"[_-]", job_type.name)
    return "create" + "".join(word.capitalize() for word in words) + "Job"


def _create(job_type: JobType[Any, Any], names: dict[type[BaseModel], str]) -> dict[str, Any]:
    result = names[job_type.result_model]
    operation = _operation(
        _operation_id(job_type),
        job_type.summary,
        f"Queues a job of type `{job_type.name}` and answers at once. Poll `GET /ai/jobs/{{job_id}}`: "
        f"once it has succeeded, its `result` is a `{result}`.",
        ("202", "Accepted and queued.", "JobAccepted"),
        _CREATE,
    )
    operation["parameters"] = [
        ref("parameters", "UserProvider"),
        ref("parameters", "UserApiKey"),
        ref("parameters", "IdempotencyKey"),
    ]
    operation["responses"]["202"]["headers"] = {
        REPLAYED_HEADER: {
            "description": f"`true` when a retry with the same {IDEMPOTENCY_HEADER} got its first try's job.",
            "schema": {"type": "string", "enum": ["true"]},
        }
    }
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": schema_ref(names[job_type.request_model])}},
    }
    operation["x-job-type"] = job_type.name
    return operation


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    success: tuple[str, str, str],
    refusals: tuple[str, ...],
) -> dict[str, Any]:
    status, success_description, schema = success
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": ["jobs"],
        "responses": {
            status: {
                "description": success_description,
                "content": {"application/json": {"schema": schema_ref(schema)}},
            },
            **_responses(refusals),
        },
    }


def _responses(names: tuple[str, ...]) -> dict[str, Any]:
    """Refusals by status code, in ascending order."""
    by_status = sorted((ERRORS[name][0], name) for name in names)
    return {str(status): ref("responses", name) for status, name in by_status}


if __name__ == "__main__":
    print(openapi_json(), end="")
