"""The OpenAPI schemas of what the api answers about jobs, which do not come from a job type: the job
record as GET returns it, the 202 and cancel bodies, and the answer of the key check. Values
(statuses, error codes, providers) are read from the code that enforces them, so the document cannot
drift from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cv_jobs.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from cv_jobs.api.openapi_helpers import nullable, object_schema, schema_ref, string_enum
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.errors import JobErrorCode
from cv_jobs.jobs import JobStatus

_JOB_ID = {"type": "string", "format": "uuid", "description": "The job's id (a UUID)."}
_TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601, milliseconds."}


def job_schemas(job_type_names: list[str], result_refs: Mapping[str, str]) -> dict[str, Any]:
    """The job's public view (cv_jobs.jobs.public_view over the record the store writes).

    `result_refs` maps each job type to the schema name of its result."""
    results = list(dict.fromkeys(result_refs.values()))  # one branch per model, registry order
    by_type = ", ".join(f"`{name}` → `{schema}`" for name, schema in result_refs.items())
    return {
        "JobStatus": string_enum(
            [status.value for status in JobStatus],
            "queued → processing → succeeded | failed; queued | processing → cancelled. "
            "succeeded, failed and cancelled are final.",
        ),
        "JobType": string_enum(job_type_names, "The stored job type (underscores; the path uses hyphens)."),
        "JobErrorCode": string_enum(
            [code.value for code in JobErrorCode], "Why a job failed; see docs/api.md for what to do."
        ),
        "JobError": object_schema(
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
        "Usage": object_schema(
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
        "Job": object_schema(
            {
                "job_id": _JOB_ID,
                "status": schema_ref("JobStatus"),
                "result": nullable(schema_ref("JobResult")) | {"description": "Set when succeeded."},
                "error": nullable(schema_ref("JobError")) | {"description": "Set when failed."},
                "job_type": schema_ref("JobType"),
                "created_at": _TIMESTAMP,
                "updated_at": _TIMESTAMP,
                "provider": string_enum([p.value for p in Provider], "The provider the job runs with."),
                "credential": string_enum(
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
        "RetryNotice": object_schema(
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
        "JobAccepted": object_schema(
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
        "JobCancelled": object_schema(
            {"job_id": _JOB_ID, "status": schema_ref("JobStatus")},
            description="`cancelled`, or the unchanged status of a job that had already finished.",
        ),
    }


def key_check_schemas() -> dict[str, Any]:
    """The answer of `POST /ai/keys/test` (cv_jobs.key_check.check.KeyCheck.body)."""
    undecided = "null: the provider could not be asked (see `code`)."
    return {
        "KeyCheck": object_schema(
            {
                "provider": string_enum([p.value for p in Provider], "The provider the key was tested with."),
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
                "code": nullable(schema_ref("JobErrorCode"))
                | {"description": "null when the key works; else the error a job with this key would meet."},
                "message": {"type": "string", "description": "A sentence to show the user."},
                "models": {
                    "type": "array",
                    "items": object_schema(
                        {"model": {"type": "string"}, "available": {"type": ["boolean", "null"]}}
                    ),
                    "description": "Each model asked about.",
                },
            }
        )
    }
