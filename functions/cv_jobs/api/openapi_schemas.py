"""The OpenAPI components that do not come from a job type: the job record as GET returns it, the
202 and cancel bodies, the error bodies of every refusal, the BYOK header parameters and the API key
security scheme. Values (statuses, error codes, providers, key limits) are read from the code that
enforces them, so the document cannot drift from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cv_jobs.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from cv_jobs.api.idempotency import MAX_KEY_LENGTH as MAX_IDEMPOTENCY_KEY_LENGTH
from cv_jobs.byok import API_KEY_HEADER, MAX_KEY_LENGTH, MIN_KEY_LENGTH, PROVIDER_HEADER
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.errors import (
    ByokHeaderError,
    ByokRequired,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidJson,
    JobErrorCode,
    JobNotFound,
    PayloadTooLarge,
    RequestValidationFailed,
    RouteNotFound,
    ServiceUnavailable,
    SystemBudgetExhausted,
)
from cv_jobs.jobs import JobStatus

GATEWAY_API_KEY_HEADER = "X-API-Key"


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def schema_ref(name: str) -> dict[str, str]:
    return ref("schemas", name)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


def _object(
    properties: dict[str, Any], *, required: Iterable[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
        **extra,
    }


def _string_enum(values: Iterable[str], description: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


_JOB_ID = {"type": "string", "format": "uuid", "description": "The job's id (a UUID)."}
_TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601, milliseconds."}


def job_schemas(job_type_names: list[str], result_refs: Mapping[str, str]) -> dict[str, Any]:
    """The job's public view (cv_jobs.jobs.public_view over the record the store writes).

    `result_refs` maps each job type to the schema name of its result."""
    results = list(dict.fromkeys(result_refs.values()))  # one branch per model, registry order
    by_type = ", ".join(f"`{name}` → `{schema}`" for name, schema in result_refs.items())
    return {
        "JobStatus": _string_enum(
            [status.value for status in JobStatus],
            "queued → processing → succeeded | failed; queued | processing → cancelled. "
            "succeeded, failed and cancelled are final.",
        ),
        "JobType": _string_enum(job_type_names, "The stored job type (underscores; the path uses hyphens)."),
        "JobErrorCode": _string_enum(
            [code.value for code in JobErrorCode], "Why a job failed; see docs/api.md for what to do."
        ),
        "JobError": _object(
            {
                "code": schema_ref("JobErrorCode"),
                "message": {"type": "string", "description": "A sentence to show the user."},
            }
        ),
        "JobResult": {
            "description": f"The result of a succeeded job; its shape depends on `job_type`: {by_type}.",
            "oneOf": [schema_ref(name) for name in results],
            "x-result-by-job-type": {
                name: f"#/components/schemas/{schema}" for name, schema in result_refs.items()
            },
        },
        "Usage": _object(
            {
                "model": {"type": "string"},
                "calls": {"type": "integer", "minimum": 0, "description": "Model calls the job paid for."},
                "input_tokens": {"type": "integer", "minimum": 0},
                "output_tokens": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Everything billed as output, reasoning included.",
                },
                "reasoning_tokens": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The part of output_tokens the model spent thinking.",
                },
                "total_tokens": {"type": "integer", "minimum": 0},
            },
            required=["model", "calls"],
            description="Tokens over all of the job's model calls, as the provider reported them.",
        ),
        "Job": _object(
            {
                "job_id": _JOB_ID,
                "status": schema_ref("JobStatus"),
                "result": _nullable(schema_ref("JobResult")) | {"description": "Set when succeeded."},
                "error": _nullable(schema_ref("JobError")) | {"description": "Set when failed."},
                "job_type": schema_ref("JobType"),
                "created_at": _TIMESTAMP,
                "updated_at": _TIMESTAMP,
                "provider": _string_enum([p.value for p in Provider], "The provider the job runs with."),
                "credential": _string_enum(
                    [c.value for c in CredentialSource],
                    "Whose key: `user` (BYOK headers) or `system` (the service's own key).",
                ),
                "model": {
                    "type": "string",
                    "description": "The provider's model; set once a worker took the job.",
                },
                "usage": schema_ref("Usage") | {"description": "Set when succeeded."},
                "attempts": {"type": "integer", "minimum": 0, "description": "Worker attempts so far."},
                "retry": schema_ref("RetryNotice")
                | {"description": "Only while the job waits for another attempt (still `processing`)."},
            },
            required=[
                "job_id",
                "status",
                "result",
                "error",
                "job_type",
                "created_at",
                "updated_at",
                "provider",
                "credential",
                "attempts",
            ],
        ),
        "RetryNotice": _object(
            {
                "code": schema_ref("JobErrorCode") | {"description": "Why the last attempt failed."},
                "attempt": {"type": "integer", "minimum": 2, "description": "The attempt that comes next."},
                "max_attempts": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Attempts a job gets in all.",
                },
                "next_attempt_at": _TIMESTAMP
                | {"description": "When the next attempt is due, at the earliest."},
            },
            description="The job is slow, not stuck: an attempt failed in a way another may cure.",
        ),
        "JobAccepted": _object(
            {
                "job_id": _JOB_ID,
                "status": schema_ref("JobStatus")
                | {
                    "description": (
                        f"`queued`; on a retry with the same {IDEMPOTENCY_HEADER} ({REPLAYED_HEADER}: true), "
                        "the job's status now."
                    )
                },
                "job_type": schema_ref("JobType"),
                "created_at": _TIMESTAMP,
            }
        ),
        "JobCancelled": _object(
            {"job_id": _JOB_ID, "status": schema_ref("JobStatus")},
            description="`cancelled`, or the unchanged status of a job that had already finished.",
        ),
    }


def key_check_schemas() -> dict[str, Any]:
    """The answer of `POST /ai/keys/test` (cv_jobs.key_check.check.KeyCheck.body)."""
    undecided = "null: the provider could not be asked (see `code`)."
    return {
        "KeyCheck": _object(
            {
                "provider": _string_enum(
                    [p.value for p in Provider], "The provider the key was tested with."
                ),
                "valid": {
                    "type": ["boolean", "null"],
                    "description": f"true: the provider accepted the key; false: it refused it; {undecided}",
                },
                "model_available": {
                    "type": ["boolean", "null"],
                    "description": (
                        "true: every model this environment uses with the provider is available to the "
                        "key; false: one is not (`model_not_found`); null: not found out."
                    ),
                },
                "code": _nullable(schema_ref("JobErrorCode"))
                | {"description": "null when the key works; else the error a job with this key would meet."},
                "message": {"type": "string", "description": "A sentence to show the user."},
                "models": {
                    "type": "array",
                    "items": _object(
                        {"model": {"type": "string"}, "available": {"type": ["boolean", "null"]}}
                    ),
                    "description": "Each model asked about.",
                },
            }
        )
    }


def _error_body(codes: list[str] | None, description: str, *, with_fields: bool = False) -> dict[str, Any]:
    code: dict[str, Any] = {"type": "string", "enum": codes} if codes else {"type": "string"}
    properties: dict[str, Any] = {
        "error": _object({"code": code, "message": {"type": "string"}}),
        "detail": {"type": "string", "description": "A human-readable sentence."},
    }
    if with_fields:
        properties["fields"] = {"type": "array", "items": schema_ref("FieldProblem")}
    return _object(properties, description=description)


_GATEWAY = "Refused by API Gateway before the service; `code` is the gateway's response type"

# name → (status, schema); each is a response in components/responses and its body a schema.
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "BadRequest": (
        400,
        _error_body(
            [ByokHeaderError.code, InvalidJson.code, ByokRequired.code, InvalidIdempotencyKey.code],
            "Bad BYOK headers, a body that is not a JSON object (or not UTF-8), no BYOK headers where "
            f"the environment requires them, or a malformed {IDEMPOTENCY_HEADER}.",
        ),
    ),
    "Forbidden": (403, _error_body(None, f"{_GATEWAY} (INVALID_API_KEY): X-API-Key missing or not valid.")),
    "JobNotFound": (404, _error_body([JobNotFound.code], "No such job (or it expired).")),
    "RouteNotFound": (404, _error_body([RouteNotFound.code], "No such method and path.")),
    "IdempotencyConflict": (
        409,
        _error_body(
            [IdempotencyKeyReused.code, IdempotencyKeyInUse.code],
            f"`{IdempotencyKeyReused.code}`: the {IDEMPOTENCY_HEADER} was used for a different request "
            "(another body, job type or provider) by this client in the last 24 hours. "
            f"`{IdempotencyKeyInUse.code}`: the first request with this key is still creating its job; "
            "send the same request again after `Retry-After` seconds.",
        ),
    ),
    "PayloadTooLarge": (
        413,
        _error_body(
            [PayloadTooLarge.code, "REQUEST_TOO_LARGE"],
            "The body is over the service's limit (or API Gateway's 10 MB, REQUEST_TOO_LARGE).",
        ),
    ),
    "ValidationFailed": (
        422,
        _error_body(
            [RequestValidationFailed.code],
            "The body does not fit the job's request model; `fields` names each problem.",
            with_fields=True,
        ),
    ),
    "Unauthorized": (
        401,
        _error_body(
            None,
            f"{_GATEWAY} (UNAUTHORIZED): where the environment turns on end-user identity, the job "
            "routes need `Authorization: Bearer <the user's OIDC token>`, and this one is missing, "
            "expired or not for this API.",
        ),
    ),
    "TooManyRequests": (
        429,
        _error_body(
            [SystemBudgetExhausted.code, "THROTTLED", "QUOTA_EXCEEDED", "rate_limited"],
            "`system_budget_exhausted`: today's budget of jobs on the service's key is spent (for the "
            "environment, this API key or this user); send your own key or wait for `Retry-After` "
            f"seconds. Otherwise {_GATEWAY[0].lower()}{_GATEWAY[1:]} (THROTTLED or QUOTA_EXCEEDED: the "
            "API key's rate or daily quota) or the web ACL's (`rate_limited`: too many requests from "
            "one address).",
        ),
    ),
    "InternalError": (500, _error_body(["internal_error"], "An unexpected error; try again later.")),
    "ServiceUnavailable": (
        503,
        _error_body(
            [ServiceUnavailable.code],
            "The job could not be created or queued; nothing will run (a recorded job is failed). "
            "Submit it again.",
        ),
    ),
}


def error_components() -> tuple[dict[str, Any], dict[str, Any]]:
    """(schemas, responses) for every refusal, plus FieldProblem (an entry of a 422's `fields`)."""
    schemas: dict[str, Any] = {
        "FieldProblem": _object(
            {
                "field": {"type": "string", "description": "Dotted path, e.g. `user_responses.0`."},
                "message": {"type": "string", "description": "Our sentence; never the submitted value."},
                "type": {"type": "string", "description": "A stable machine-readable kind."},
            }
        )
    }
    responses: dict[str, Any] = {}
    for name, (_, schema) in ERRORS.items():
        schemas[f"{name}Body"] = schema
        responses[name] = {
            "description": schema["description"],
            "content": {"application/json": {"schema": schema_ref(f"{name}Body")}},
        }
    responses["TooManyRequests"]["headers"] = {
        "Retry-After": {
            "description": "Seconds to wait (with `system_budget_exhausted`: until the next UTC day).",
            "schema": {"type": "string"},
        }
    }
    responses["IdempotencyConflict"]["headers"] = {
        "Retry-After": {
            "description": f"With `{IdempotencyKeyInUse.code}`: seconds to wait before the retry.",
            "schema": {"type": "string"},
        }
    }
    return schemas, responses


def idempotency_parameter() -> dict[str, Any]:
    return {
        "IdempotencyKey": {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Makes a retried POST safe: the same key with the same request, from the same API key, "
                f"within 24 hours answers 202 with the same job ({REPLAYED_HEADER}: true), queuing "
                "nothing; "
                "the same key with another request is a 409. A new UUID per new request will do."
            ),
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
                "pattern": "^[!-~]+$",
            },
        }
    }


def byok_parameters() -> dict[str, Any]:
    rule = f"Send {PROVIDER_HEADER} and {API_KEY_HEADER} together, or neither (the service's own key)."
    return {
        "UserProvider": {
            "name": PROVIDER_HEADER,
            "in": "header",
            "required": False,
            "description": f"Bring your own key: the provider (trimmed, case-insensitive). {rule}",
            "schema": {"type": "string", "enum": [p.value for p in Provider]},
        },
        "UserApiKey": {
            "name": API_KEY_HEADER,
            "in": "header",
            "required": False,
            "description": (
                f"Bring your own key: the provider API key ({MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} visible "
                f"ASCII characters). Never stored or returned. {rule}"
            ),
            "schema": {
                "type": "string",
                "minLength": MIN_KEY_LENGTH,
                "maxLength": MAX_KEY_LENGTH,
                "pattern": "^[!-~]+$",
            },
        },
    }


def security_schemes() -> dict[str, Any]:
    return {
        "ApiKey": {
            "type": "apiKey",
            "in": "header",
            "name": GATEWAY_API_KEY_HEADER,
            "description": "The environment's API key, checked by API Gateway on every method.",
        }
    }
