"""The OpenAPI error bodies and responses of every refusal (the api's own and API Gateway's), and
FieldProblem (an entry of a 422's `fields`). The error codes are read from the errors that carry
them, so the document cannot drift from the code."""

from __future__ import annotations

from typing import Any

from cv_jobs.api.idempotency import IDEMPOTENCY_HEADER
from cv_jobs.api.openapi_helpers import object_schema, schema_ref
from cv_jobs.errors import (
    ByokHeaderError,
    ByokRequired,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidJson,
    JobNotFound,
    PayloadTooLarge,
    RequestValidationFailed,
    RouteNotFound,
    ServiceUnavailable,
    SystemBudgetExhausted,
)


def _error_body(codes: list[str] | None, description: str, *, with_fields: bool = False) -> dict[str, Any]:
    code: dict[str, Any] = {"type": "string", "enum": codes} if codes else {"type": "string"}
    properties: dict[str, Any] = {
        "error": object_schema({"code": code, "message": {"type": "string"}}),
        "detail": {"type": "string", "description": "A human-readable sentence."},
    }
    if with_fields:
        properties["fields"] = {"type": "array", "items": schema_ref("FieldProblem")}
    return object_schema(properties, description=description)


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
        "FieldProblem": object_schema(
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
