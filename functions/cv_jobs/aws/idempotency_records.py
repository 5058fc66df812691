"""Idempotency records: which job an `Idempotency-Key` stands for, kept in the jobs table.

A record's partition key is `idem#<sha256 of client, user and key>`, which can never be a job id (a
uuid4): GET and DELETE refuse it as they refuse any id that is not a UUID, no conditional job write
can match it (they all require a `status`), and the sweeper never meets it (without `status` the
`by_status` index leaves it out). It holds the job id it reserved (a random uuid4), the request's
fingerprint, the reserving request's token, until when that request may still be creating the job,
whether it gave the key back, and the job's TTL. Never a CV, a key or the Idempotency-Key itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from cv_jobs.aws.dynamo_json import from_dynamo, to_dynamo

RECORD_PREFIX = "idem#"
_CONDITION_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class IdempotencyRecord:
    record_key: str  # "idem#<sha256>": the table's partition key
    job_id: str  # the job this key stands for (it may not exist yet)
    request_hash: str  # the request's fingerprint (cv_jobs.api.idempotency.request_fingerprint)
    token: str  # the reserving request's, so it can tell its own earlier write from another's
    pending_until: float  # epoch seconds: by then the reserving request has ended, job or not
    released: bool = False  # the reserving request failed having run nothing: the key names nothing

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> IdempotencyRecord:
        return cls(
            record_key=item["job_id"],
            job_id=item["reserved_job_id"],
            request_hash=item["request_hash"],
            token=item["token"],
            pending_until=float(item["pending_until"]),
            released=bool(item.get("released", False)),
        )


class IdempotencyRecords:
    def __init__(self, table: Any, ttl_seconds: int, *, clock: Callable[[], float] = time.time) -> None:
        """`table`: the jobs table; `ttl_seconds`: the jobs' TTL, which is also the key's window."""
        self._table = table
        self._ttl_seconds = ttl_seconds
        self._clock = clock

    def reserve(self, record: IdempotencyRecord, now: float, *, replacing: str | None = None) -> bool:
        """Write `record` if the key is free: no record, one past its TTL, or (`replacing`) the record
        of the request with that token, which ended without a job or gave the key back. False when
        another record holds the key (read it to see whose: it may be this request's own earlier
        write, whose answer was lost)."""
        condition = "attribute_not_exists(job_id) OR #ttl <= :now"
        values: dict[str, Any] = {":now": int(now)}
        if replacing is not None:
            condition += " OR #token = :replacing"
            values[":replacing"] = replacing
        item = {
            "job_id": record.record_key,
            "reserved_job_id": record.job_id,
            "request_hash": record.request_hash,
            "token": record.token,
            "pending_until": record.pending_until,
            "released": record.released,
            # The same window as the job: the key means its job for as long as the job exists.
            "ttl": int(now) + self._ttl_seconds,
        }
        try:
            self._table.put_item(
                Item=to_dynamo(item),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#ttl": "ttl", **({"#token": "token"} if replacing else {})},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == _CONDITION_FAILED:
                return False
            raise
        return True

    def read(self, record_key: str) -> IdempotencyRecord | None:
        """The record, or None when there is none or its time is over."""
        item = self._table.get_item(Key={"job_id": record_key}, ConsistentRead=True).get("Item")
        if not item or int(item["ttl"]) <= self._clock():
            return None
        return IdempotencyRecord.from_item(from_dynamo(item))

    def release(self, record: IdempotencyRecord) -> bool:
        """Give the key back (the request failed having run nothing), if the record is still this
        request's. False when it is not (another request took it over, or it never landed)."""
        try:
            self._table.update_item(
                Key={"job_id": record.record_key},
                UpdateExpression="SET #released = :true",
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token", "#released": "released"},
                ExpressionAttributeValues={":true": True, ":token": record.token},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == _CONDITION_FAILED:
                return False
            raise
        return True
