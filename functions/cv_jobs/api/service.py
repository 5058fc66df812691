"""What the api does, free of API Gateway shapes: create, read and cancel jobs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cv_jobs import job_metrics
from cv_jobs.api.aws_calls import before_the_job
from cv_jobs.api.idempotency import (
    IdempotentSubmissions,
    Reservation,
    idempotency_key,
    request_fingerprint,
)
from cv_jobs.api.validation import validate_body
from cv_jobs.aws.clients import API_ATTEMPT_SECONDS
from cv_jobs.aws.jobs_queue import JobMessage, JobsQueue
from cv_jobs.aws.jobs_store import JobExists, JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_budget import SystemBudget
from cv_jobs.aws.transient import retry_within
from cv_jobs.byok import credential_from_headers
from cv_jobs.credentials import CredentialRequest
from cv_jobs.deadline import Deadline
from cv_jobs.errors import (
    JobErrorCode,
    JobFailure,
    JobNotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from cv_jobs.job_types import JobType
from cv_jobs.jobs import JobStatus, public_view
from cv_jobs.log_keys import add_job_log_keys
from cv_jobs.observability import logger, metrics, secret_in_use
from cv_jobs.ownership import NO_API_KEY, Owner
from cv_jobs.settings import ApiSettings


@dataclass(frozen=True)
class Accepted:
    """A POST's answer: the job, and whether it is an earlier request's (an idempotent retry)."""

    body: dict[str, Any]
    replayed: bool = False


# Without a deadline from the handler (direct calls): API Gateway's own limit.
_DEFAULT_BUDGET_SECONDS = 29.0
# Requests without an API key id (only tests and direct calls; every stack route requires a key).
_NO_OWNER = Owner(NO_API_KEY)


class JobService:
    def __init__(
        self,
        *,
        settings: ApiSettings,
        store: JobsStore,
        queue: JobsQueue,
        sealer: KeySealer,
        idempotency: IdempotentSubmissions,
        budget: SystemBudget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`budget`: the system path's daily budgets (None: unlimited, for tests that build the
        service directly; the handler always passes one when the system path is on)."""
        self._settings = settings
        self._idempotency = idempotency
        self._budget = budget
        self._store = store
        self._queue = queue
        self._sealer = sealer
        self._clock = clock

    def create(
        self,
        job_type: JobType[Any, Any],
        body: str | None,
        headers: Mapping[str, str] | None,
        owner: Owner = _NO_OWNER,
        deadline: Deadline | None = None,
    ) -> Accepted:
        """Validate everything up front, record the job without the key, then queue it. Every AWS
        call is retried only while `deadline` leaves time for what must follow it: a job that was
        recorded can always be failed if its message cannot be sent."""
        deadline = deadline or Deadline.in_seconds(_DEFAULT_BUDGET_SECONDS)
        self._check_size(body)
        credential = credential_from_headers(headers, system_path_enabled=self._settings.system_path_enabled)
        request = validate_body(job_type, body)
        payload = request.model_dump(mode="json")
        key = idempotency_key(headers)
        reservation: Reservation | None = None
        if key is None:
            job_id = str(uuid.uuid4())
        else:
            # The key is taken before anything is sealed, spent or queued: a duplicate finds the
            # first request's job instead, and only one of any number of duplicates makes one.
            request_hash = request_fingerprint(
                job_type.name, credential.provider.value, credential.source.value, payload
            )
            reserved = self._idempotency.reserve(owner, key, request_hash, deadline)
            if not isinstance(reserved, Reservation):
                return _replay(reserved)
            reservation, job_id = reserved, reserved.job_id
        add_job_log_keys(
            job_id=job_id,
            job_type=job_type.name,
            provider=credential.provider.value,
            credential=credential.source.value,
        )
        try:
            item = self._start(job_id, job_type, credential, payload, owner, deadline)
        except BaseException:
            # Nothing runs (the answer says: submit again): the key must not keep naming this job.
            if reservation is not None:
                self._idempotency.release(reservation)
            raise
        logger.info(
            "job queued",
            extra={
                "job_id": job_id,
                "job_type": job_type.name,
                "provider": credential.provider.value,
                "credential": credential.source.value,
                # Only presence and length of a user key may be logged.
                "user_key_length": len(credential.api_key) if credential.api_key else 0,
            },
        )
        job_metrics.job_created(item)
        return Accepted(
            {
                "job_id": job_id,
                "status": JobStatus.QUEUED.value,
                "job_type": job_type.name,
                "created_at": item["created_at"],
            }
        )

    def _start(
        self,
        job_id: str,
        job_type: JobType[Any, Any],
        credential: CredentialRequest,
        payload: dict[str, Any],
        owner: Owner,
        deadline: Deadline,
    ) -> dict[str, Any]:
        """Seal the key, spend the budget, record the job and queue its message; the record."""
        sealed_key = None
        if credential.api_key is not None:
            api_key, provider = credential.api_key, credential.provider
            with secret_in_use(api_key.reveal()):
                # Sealing, then the record, the message and a possible fail_queued come after.
                sealed_key = before_the_job(
                    lambda: self._sealer.seal(api_key, job_id=job_id, provider=provider), deadline, 3
                )

        if credential.api_key is None and self._budget is not None:
            budget, scopes = self._budget, owner.budget_scopes()
            # One token for every try: a retry after a lost answer does not spend twice.
            token = uuid.uuid4().hex
            before_the_job(lambda: budget.spend(scopes, request_token=token), deadline, 3)
        try:
            item: dict[str, Any] = before_the_job(
                lambda: self._store.create(
                    job_id=job_id,
                    job_type=job_type.name,
                    payload=payload,
                    provider=credential.provider,
                    credential=credential.source,
                    now=self._clock(),
                    owner=owner.record_fields(),
                ),
                deadline,
                2,
            )
        except JobExists:
            # Ids are fresh uuid4s: the record is this request's own, from a try whose answer was lost.
            existing = self._store.get(job_id)
            if existing is None:
                raise ServiceUnavailable("The job could not be created right now. Submit it again.") from None
            item = existing
        message = JobMessage(
            job_id=job_id,
            job_type=job_type.name,
            provider=credential.provider,
            credential=credential.source,
            sealed_key=sealed_key,
        )
        try:
            if deadline.remaining() < 2 * API_ATTEMPT_SECONDS:
                # A send that hangs would leave no time to fail the job: do not start it.
                raise TimeoutError("no time left to send the message and fail the job if it hangs")
            retry_within(
                lambda: self._queue.send(message),
                deadline,
                reserve_seconds=API_ATTEMPT_SECONDS,
                attempt_seconds=API_ATTEMPT_SECONDS,
            )
        except Exception:  # noqa: BLE001 - whatever the cause, the job must not stay queued
            # The job must not sit in `queued` with no message behind it.
            logger.exception("job could not be queued", extra={"job_id": job_id})
            self._fail_unqueued(job_id, deadline)
            metrics.add_metric(name="JobsNotQueued", unit="Count", value=1)
            raise ServiceUnavailable(
                "The job could not be queued; nothing will run. Submit it again."
            ) from None
        return item

    def _fail_unqueued(self, job_id: str, deadline: Deadline) -> None:
        error = JobFailure(JobErrorCode.QUEUE_UNAVAILABLE).as_error()
        try:
            retry_within(
                lambda: self._store.fail_queued(job_id, error, self._clock()),
                deadline,
                attempt_seconds=API_ATTEMPT_SECONDS,
            )
        except Exception:  # noqa: BLE001 - the client is told anyway; the sweeper ends the job
            logger.exception("job could not be failed; the stale-job sweeper will", extra={"job_id": job_id})

    def get(self, job_id: str, owner: Owner = _NO_OWNER) -> dict[str, Any]:
        return public_view(self._require(_canonical_id(job_id), owner))

    def cancel(self, job_id: str, owner: Owner = _NO_OWNER) -> dict[str, Any]:
        """Cancel a queued or running job; a finished one is returned with its status unchanged."""
        job_id = _canonical_id(job_id)
        self._require(job_id, owner)
        item = self._store.cancel(job_id, self._clock())
        if item is None:  # expired by TTL between the two reads
            raise JobNotFound(f"No job with id {job_id}.")
        return {"job_id": job_id, "status": item["status"]}

    def _require(self, job_id: str, owner: Owner) -> dict[str, Any]:
        item = self._store.get(job_id)
        # Another client's job is answered exactly like a missing one: ids cannot be probed.
        if item is None or not owner.owns(item):
            raise JobNotFound(f"No job with id {job_id}.")
        return item

    def _check_size(self, body: str | None) -> None:
        size = len(body.encode("utf-8")) if body else 0
        if size > self._settings.max_body_bytes:
            raise PayloadTooLarge(
                "The request body is too large.",
                detail=f"The body is {size} bytes; the limit is {self._settings.max_body_bytes}.",
            )


def _replay(existing: Mapping[str, Any]) -> Accepted:
    """The earlier request's job, as its POST answered, with the status it has now."""
    logger.info("idempotent retry answered with its job", extra={"job_id": existing["job_id"]})
    return Accepted(
        {
            "job_id": existing["job_id"],
            "status": existing["status"],
            "job_type": existing["job_type"],
            "created_at": existing["created_at"],
        },
        replayed=True,
    )


def _canonical_id(value: str) -> str:
    """A job id in the form the api wrote it. UUIDs are case-insensitive (RFC 9562), so an upper-case
    id names the same job; braces, URNs and other spellings uuid.UUID would take are refused."""
    try:
        canonical = str(uuid.UUID(value))
    except ValueError:
        canonical = ""
    if canonical != value.lower():
        raise JobNotFound("Job ids are UUIDs; no job has this id.")
    return canonical
