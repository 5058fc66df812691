"""Idempotent submission: the `Idempotency-Key` header of a POST.

Job ids are random uuid4s, idempotent or not. What a key stands for is a separate record
(cv_jobs.aws.idempotency_records) under a hash of the client (API key id, and the end user where
identity is on) and the key, written before anything else with a conditional put that exactly one
of any number of concurrent duplicates wins. It names the uuid4 the winner then creates, the
request's fingerprint (job type, provider, credential source and the validated body, never the key)
to tell a retry from a different request (409), and the winner's token, so a request whose own
write timed out after landing knows it as its own. A duplicate that arrives while the winner is
still creating the job waits for it briefly, then is told to retry (409 `idempotency_key_in_use`,
Retry-After). A winner that fails having run nothing gives the key back; one that died is replaced
once its time is over. The window is the record's lifetime: the job TTL, 24 h.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from cv_jobs.api.aws_calls import before_the_job
from cv_jobs.aws.clients import API_ATTEMPT_SECONDS
from cv_jobs.aws.idempotency_records import RECORD_PREFIX, IdempotencyRecord, IdempotencyRecords
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.deadline import Deadline
from cv_jobs.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    ServiceUnavailable,
)
from cv_jobs.observability import logger
from cv_jobs.ownership import Owner

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# How long a duplicate waits for the first request to create its job (a KMS call and two writes,
# well under a second unless a dependency is slow) before it is told to retry.
WAIT_SECONDS = 3.0
# Beyond the reserving request's own deadline: a write already on the wire when its Lambda ended,
# and clocks that differ between hosts.
_PENDING_MARGIN_SECONDS = API_ATTEMPT_SECONDS
_FIRST_PAUSE_SECONDS = 0.05
_MAX_PAUSE_SECONDS = 0.4
# Waits are bounded by time; this bounds a run of takeovers lost to other requests.
_MAX_ROUNDS = 50


def idempotency_key(headers: Mapping[str, str] | None) -> str | None:
    """The header's value, or None when absent. Visible ASCII, 1 to 255 characters (a UUID is usual)."""
    value = next(
        (value for name, value in (headers or {}).items() if name.lower() == IDEMPOTENCY_HEADER.lower()),
        None,
    )
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all("!" <= char <= "~" for char in value):
        raise InvalidIdempotencyKey(
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID will do).",
        )
    return value


def record_key_for(owner: Owner, key: str) -> str:
    """Where a client's key is recorded: a hash, so the table never holds the key, and two clients'
    keys never meet."""
    scope = json.dumps([owner.api_key_id, owner.user, key], separators=(",", ":"))
    return RECORD_PREFIX + hashlib.sha256(scope.encode("utf-8")).hexdigest()


def request_fingerprint(job_type: str, provider: str, credential: str, request: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {"job_type": job_type, "provider": provider, "credential": credential, "request": request},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Reservation:
    """This request holds the key: it creates the job `record.job_id` (a fresh uuid4)."""

    record: IdempotencyRecord

    @property
    def job_id(self) -> str:
        return self.record.job_id


class IdempotentSubmissions:
    def __init__(
        self,
        records: IdempotencyRecords,
        jobs: JobsStore,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        wait_seconds: float | None = None,
    ) -> None:
        """`wait_seconds`: how long a duplicate waits for the first request's job (WAIT_SECONDS)."""
        self._records = records
        self._jobs = jobs
        self._clock = clock
        self._sleep = sleep
        self._wait_seconds = WAIT_SECONDS if wait_seconds is None else wait_seconds

    def reserve(
        self, owner: Owner, key: str, request_hash: str, deadline: Deadline
    ) -> Reservation | dict[str, Any]:
        """The key for this request (a Reservation), or the job an earlier request with the same key
        and body created (to answer as a replay). 409 `idempotency_key_reused` for another body,
        409 `idempotency_key_in_use` while the first request is still creating its job."""
        mine = IdempotencyRecord(
            record_key=record_key_for(owner, key),
            job_id=str(uuid.uuid4()),
            request_hash=request_hash,
            token=uuid.uuid4().hex,
            pending_until=0.0,
        )
        give_up = time.monotonic() + min(self._wait_seconds, max(0.0, deadline.remaining() - 1.0))
        pause = _FIRST_PAUSE_SECONDS
        holder: IdempotencyRecord | None = None  # the record holding the key, as last read
        for _ in range(_MAX_ROUNDS):
            if holder is None or holder.released:
                # The key is free, or its holder's request ran nothing: take it.
                now = self._clock()
                mine = replace(mine, pending_until=now + deadline.remaining() + _PENDING_MARGIN_SECONDS)
                replacing = holder.token if holder is not None else None
                put = partial(self._records.reserve, mine, now, replacing=replacing)
                try:
                    written = before_the_job(put, deadline, 2)
                except ServiceUnavailable:
                    # A put that timed out may have landed: give it back, or a retry would wait for it.
                    self.release(Reservation(mine))
                    raise
                if written:
                    return Reservation(mine)
                holder = self._read(mine.record_key, deadline)
                if holder is not None and holder.token == mine.token:
                    return Reservation(mine)  # this request's own write, whose answer was lost
                continue  # another request's record (or none any more): look at it
            job = before_the_job(partial(self._jobs.get, holder.job_id), deadline, 0)
            if job is None and holder.pending_until <= self._clock():
                # Its request ended without creating the job (its Lambda died): the key names nothing.
                holder = replace(holder, released=True)
                continue
            if holder.request_hash != request_hash:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used for a different request.",
                    detail="Use a new Idempotency-Key for a new request; retry only the same request with "
                    "a key.",
                )
            if job is not None:
                return job
            # The first request is still creating the job: give it a moment, then ask for a retry.
            if time.monotonic() >= give_up:
                break
            self._sleep(pause)
            pause = min(pause * 2, _MAX_PAUSE_SECONDS)
            holder = self._read(mine.record_key, deadline)
        logger.info("idempotent retry arrived while its first request was still running")
        raise IdempotencyKeyInUse(
            f"A request with this {IDEMPOTENCY_HEADER} is still being processed. Retry shortly.",
            detail="Send the same request with the same key again after Retry-After seconds.",
        )

    def release(self, reservation: Reservation) -> None:
        """Give the key back after a failure that ran nothing (its answer says: submit again), so the
        retry makes a new job rather than finding this one. Best effort: if this fails too, the key
        comes free when the request's time is over (or stays with a job the sweeper ends)."""
        try:
            self._records.release(reservation.record)
        except Exception:  # noqa: BLE001 - the client's answer is already decided
            logger.exception("idempotency key could not be given back", extra={"job_id": reservation.job_id})

    def _read(self, record_key: str, deadline: Deadline) -> IdempotencyRecord | None:
        return before_the_job(lambda: self._records.read(record_key), deadline, 0)
