"""The jobs table. Every state change is a conditional write, so a job moves only along
queued → processing → succeeded | failed, queued | processing → cancelled, and nothing
overwrites a finished job."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from cv_jobs.aws.dynamo_json import from_dynamo, to_dynamo
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.jobs import JobStatus

_CONDITION_FAILED = "ConditionalCheckFailedException"


def _now_iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")


class JobExists(Exception):
    """A live job record already has this id."""


@dataclass(frozen=True)
class Claim:
    """The worker's lease on a job: only the holder of `token` may finish it."""

    token: str
    item: dict[str, Any]


def _expired(item: Mapping[str, Any], now: float) -> bool:
    """DynamoDB deletes expired items lazily (up to days later): past its ttl, a job is gone."""
    ttl = item.get("ttl")
    return ttl is not None and int(ttl) <= now


class JobsStore:
    def __init__(self, table: Any, ttl_seconds: int, *, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._ttl_seconds = ttl_seconds
        self._clock = clock

    def create(
        self,
        *,
        job_id: str,
        job_type: str,
        payload: dict[str, Any],
        provider: Provider,
        credential: CredentialSource,
        now: float,
        owner: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """`owner`: who may read and cancel the job (cv_jobs.ownership.Owner.record_fields).
        Raises JobExists when a live record has this id."""
        item = {
            "job_id": job_id,
            "job_type": job_type,
            "status": JobStatus.QUEUED.value,
            "created_at": _now_iso(now),
            "updated_at": _now_iso(now),
            "ttl": int(now) + self._ttl_seconds,
            "payload": to_dynamo(payload),
            "provider": provider.value,
            "credential": credential.value,
            "attempts": 0,
            **(owner or {}),
        }
        try:
            self._table.put_item(
                Item=item,
                # A record past its TTL but not yet deleted is gone to every reader: its id is free.
                ConditionExpression="attribute_not_exists(job_id) OR #ttl <= :now",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":now": int(now)},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == _CONDITION_FAILED:
                raise JobExists(job_id) from None
            raise
        return from_dynamo(item)

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job, or None when there is none or its time is over (readers treat it as gone)."""
        item = self._table.get_item(Key={"job_id": job_id}, ConsistentRead=True).get("Item")
        if not item or _expired(item, self._clock()):
            return None
        return from_dynamo(item)

    def fail_queued(self, job_id: str, error: dict[str, str], now: float) -> bool:
        """Fail a job that never left the queue (its message could not be sent)."""
        return self._finish(
            job_id,
            status=JobStatus.FAILED,
            fields={"error": error},
            condition="#status = :queued",
            values={":queued": JobStatus.QUEUED.value},
            now=now,
        )

    def fail_stale(self, job_id: str, error: dict[str, str], now: float) -> bool:
        """Fail a job no attempt holds (the stale-job sweeper): queued, or processing with an expired
        lease. False when it finished or an attempt claimed it since it was found."""
        return self._finish(
            job_id,
            status=JobStatus.FAILED,
            fields={"error": error},
            condition=(
                "(#status = :queued OR #status = :processing) "
                "AND (attribute_not_exists(lease_expires_at) OR lease_expires_at < :now)"
            ),
            values={
                ":queued": JobStatus.QUEUED.value,
                ":processing": JobStatus.PROCESSING.value,
                ":now": now,
            },
            now=now,
        )

    def cancel(self, job_id: str, now: float) -> dict[str, Any] | None:
        """Cancel a queued or running job. A finished job is returned unchanged."""
        self._finish(
            job_id,
            status=JobStatus.CANCELLED,
            fields={},
            condition="#status IN (:queued, :processing)",
            values={
                ":queued": JobStatus.QUEUED.value,
                ":processing": JobStatus.PROCESSING.value,
            },
            now=now,
        )
        return self.get(job_id)

    def claim(
        self,
        job_id: str,
        *,
        model: str,
        lease_seconds: float,
        now: float,
        expect: tuple[str, str] | None = None,
    ) -> Claim | None:
        """Take the job for one attempt: a queued job, or a processing one whose lease expired
        (its worker died). None when it is finished, cancelled or held by a live attempt, or when
        `expect` (job type, provider: what its message says, the model chosen from it) is not what
        the record says."""
        token = uuid.uuid4().hex
        agrees, expected, expected_names = "", {}, {}
        if expect is not None:
            agrees = " AND #job_type = :expected_type AND #provider = :expected_provider"
            expected = {":expected_type": expect[0], ":expected_provider": expect[1]}
            expected_names = {"#job_type": "job_type", "#provider": "provider"}
        try:
            response = self._table.update_item(
                Key={"job_id": job_id},
                UpdateExpression=(
                    "SET #status = :processing, lease_token = :token, lease_expires_at = :until, "
                    "model = :model, updated_at = :now_iso, attempts = if_not_exists(attempts, :zero) + :one "
                    # Running again: no longer waiting for a retry.
                    "REMOVE retry"
                ),
                ConditionExpression=(
                    "attribute_exists(job_id) AND (#status = :queued OR "
                    "(#status = :processing AND lease_expires_at < :now)) "
                    # An expired job (not yet deleted by TTL) never runs: its seal has expired too.
                    "AND (attribute_not_exists(#ttl) OR #ttl > :now)" + agrees
                ),
                ExpressionAttributeNames={"#status": "status", "#ttl": "ttl", **expected_names},
                ExpressionAttributeValues=to_dynamo(
                    {
                        ":processing": JobStatus.PROCESSING.value,
                        ":queued": JobStatus.QUEUED.value,
                        ":token": token,
                        ":until": now + lease_seconds,
                        ":now": now,
                        ":now_iso": _now_iso(now),
                        ":model": model,
                        ":zero": 0,
                        ":one": 1,
                        **expected,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == _CONDITION_FAILED:
                return None
            raise
        return Claim(token=token, item=from_dynamo(response["Attributes"]))

    def succeed(
        self, job_id: str, claim: Claim, result: dict[str, Any], usage: dict[str, Any], now: float
    ) -> bool:
        return self._finish_claimed(
            job_id, claim, JobStatus.SUCCEEDED, {"result": result, "usage": usage}, now
        )

    def fail(self, job_id: str, claim: Claim, error: dict[str, str], now: float) -> bool:
        return self._finish_claimed(job_id, claim, JobStatus.FAILED, {"error": error}, now)

    def checkpoint(self, job_id: str, claim: Claim, steps: dict[str, Any], now: float) -> bool:
        """Record the validated outputs of the steps done so far, so a retry never pays for them
        again. False when the lease is no longer ours (cancelled, or taken over after expiry)."""
        try:
            self._table.update_item(
                Key={"job_id": job_id},
                UpdateExpression="SET steps = :steps, updated_at = :now_iso",
                ConditionExpression="#status = :processing AND lease_token = :token",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_dynamo(
                    {
                        ":steps": steps,
                        ":now_iso": _now_iso(now),
                        ":processing": JobStatus.PROCESSING.value,
                        ":token": claim.token,
                    }
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == _CONDITION_FAILED:
                return False
            raise
        return True

    def release(
        self,
        job_id: str,
        claim: Claim,
        error: dict[str, str],
        now: float,
        retry: dict[str, Any] | None = None,
    ) -> bool:
        """Give the job back for a retry: the lease ends now, so the next delivery may claim it.
        `retry` ({code, attempt, max_attempts, next_attempt_at}) is what GET shows meanwhile."""
        try:
            self._table.update_item(
                Key={"job_id": job_id},
                UpdateExpression=(
                    "SET lease_expires_at = :now, last_error = :error, updated_at = :now_iso, retry = :retry"
                ),
                ConditionExpression="#status = :processing AND lease_token = :token",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_dynamo(
                    {
                        ":now": now,
                        ":now_iso": _now_iso(now),
                        ":error": error,
                        ":retry": retry or {"code": error["code"]},
                        ":processing": JobStatus.PROCESSING.value,
                        ":token": claim.token,
                    }
                ),
            )
        except ClientError as error_:
            if error_.response["Error"]["Code"] == _CONDITION_FAILED:
                return False
            raise
        return True

    def _finish_claimed(
        self,
        job_id: str,
        claim: Claim,
        status: JobStatus,
        fields: dict[str, Any],
        now: float,
    ) -> bool:
        return self._finish(
            job_id,
            status=status,
            fields=fields,
            condition="#status = :processing AND lease_token = :token",
            values={":processing": JobStatus.PROCESSING.value, ":token": claim.token},
            now=now,
        )

    def _finish(
        self,
        job_id: str,
        *,
        status: JobStatus,
        fields: dict[str, Any],
        condition: str,
        values: dict[str, Any],
        now: float,
    ) -> bool:
        """Move to a final status and drop the payload and step checkpoints (personal data is
        kept no longer than the job needs it). False when the condition did not hold."""
        assignments = ["#status = :final", "updated_at = :now_iso"]
        names = {"#status": "status"}
        all_values = {":final": status.value, ":now_iso": _now_iso(now), **values}
        for index, (name, value) in enumerate(fields.items()):
            names[f"#f{index}"] = name
            all_values[f":f{index}"] = value
            assignments.append(f"#f{index} = :f{index}")
        try:
            self._table.update_item(
                Key={"job_id": job_id},
                UpdateExpression="SET "
                + ", ".join(assignments)
                + " REMOVE payload, steps, lease_token, lease_expires_at, retry",
                ConditionExpression=f"attribute_exists(job_id) AND ({condition})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_dynamo(all_values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == _CONDITION_FAILED:
                return False
            raise
        return True
