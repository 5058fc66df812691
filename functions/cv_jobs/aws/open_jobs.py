"""The jobs that are not finished, read through the table's `by_status` index (partition `status`,
sort `created_at`, projecting the lease and the attempts): the sweeper's only read, which costs what
the open jobs weigh, not the whole table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cv_jobs.aws.dynamo_json import from_dynamo
from cv_jobs.jobs import JobStatus

STATUS_INDEX = "by_status"
# What the index carries besides its keys (status, created_at) and the table's key (job_id).
STATUS_INDEX_ATTRIBUTES = ("lease_expires_at", "attempts", "job_type", "provider", "credential")


def status_index() -> dict[str, Any]:
    """The index as DynamoDB's CreateTable / UpdateTable take it (local mode and tests; the stack
    declares the same in infra/constructs/jobs_table.py)."""
    return {
        "IndexName": STATUS_INDEX,
        "KeySchema": [
            {"AttributeName": "status", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(STATUS_INDEX_ATTRIBUTES)},
    }


STATUS_INDEX_KEY_ATTRIBUTES = [
    {"AttributeName": "status", "AttributeType": "S"},
    {"AttributeName": "created_at", "AttributeType": "S"},
]


@dataclass(frozen=True)
class OpenJob:
    job_id: str
    status: JobStatus
    created_at: str  # ISO 8601, UTC, as the api wrote it
    lease_expires_at: float | None
    attempts: int
    item: dict[str, Any]  # what the index projects (job type, provider, credential: for metrics)


def open_jobs(table: Any) -> Iterator[OpenJob]:
    """Every queued or processing job, oldest first within each status."""
    for status in (JobStatus.QUEUED, JobStatus.PROCESSING):
        arguments: dict[str, Any] = {
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :status",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":status": status.value},
        }
        while True:
            page = table.query(**arguments)
            for raw in page.get("Items", []):
                item = from_dynamo(raw)
                lease = item.get("lease_expires_at")
                yield OpenJob(
                    job_id=str(item["job_id"]),
                    status=status,
                    created_at=str(item.get("created_at", "")),
                    lease_expires_at=float(lease) if lease is not None else None,
                    attempts=int(item.get("attempts") or 0),
                    item=item,
                )
            if not page.get("LastEvaluatedKey"):
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
