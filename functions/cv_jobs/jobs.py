"""The job record's vocabulary: statuses, the allowed transitions and the public view."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


# A worker's lease outlives its invocation by this much, so a duplicate delivery cannot claim a job
# whose attempt is still finishing its last write. The cloud's value; the worker and the sweeper read
# theirs from LEASE_GRACE_SECONDS (local fault runs shorten it, so crash recovery takes seconds).
LEASE_GRACE_SECONDS = 30.0


# Fields a client may see. The payload (personal data) and the worker's lease stay internal.
_PUBLIC_EXTRAS = (
    "job_type",
    "created_at",
    "updated_at",
    "provider",
    "credential",
    "model",
    "usage",
    "attempts",
    # While a job waits for another attempt: {code, attempt, max_attempts, next_attempt_at}.
    "retry",
)


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    """The GET response: the contract's four fields, then additive ones."""
    view: dict[str, Any] = {
        "job_id": item["job_id"],
        "status": item["status"],
        "result": item.get("result"),
        "error": item.get("error"),
    }
    for field in _PUBLIC_EXTRAS:
        if field in item:
            view[field] = item[field]
    return view
