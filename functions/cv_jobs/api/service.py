"""What the api does, free of API Gateway shapes: create, read and cancel jobs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from cv_jobs import job_metrics
from cv_jobs.api.validation import validate_body
from cv_jobs.aws.jobs_queue import JobMessage, JobsQueue
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_budget import SystemBudget
from cv_jobs.byok import credential_from_headers
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
        budget: SystemBudget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`budget`: the system path's daily budgets (None: unlimited, for tests that build the
        service directly; the handler always passes one when the system path is on)."""
        self._settings = settings
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
    ) -> dict[str, Any]:
        """Validate everything up front, record the job without the key, then queue it."""
        self._check_size(body)
        credential = credential_from_headers(headers, system_path_enabled=self._settings.system_path_enabled)
        request = validate_body(job_type, body)
        job_id = str(uuid.uuid4())
        add_job_log_keys(
            job_id=job_id,
            job_type=job_type.name,
            provider=credential.provider.value,
            credential=credential.source.value,
        )

        sealed_key = None
        if credential.api_key is not None:
            with secret_in_use(credential.api_key.reveal()):
                sealed_key = self._sealer.seal(
                    credential.api_key, job_id=job_id, provider=credential.provider
                )

        if credential.api_key is None and self._budget is not None:
            self._budget.spend(owner.budget_scopes())
        item = self._store.create(
            job_id=job_id,
            job_type=job_type.name,
            payload=request.model_dump(mode="json"),
            provider=credential.provider,
            credential=credential.source,
            now=self._clock(),
            owner=owner.record_fields(),
        )
        try:
            self._queue.send(
                JobMessage(
                    job_id=job_id,
                    job_type=job_type.name,
                    provider=credential.provider,
                    credential=credential.source,
                    sealed_key=sealed_key,
                )
            )
        except Exception:  # noqa: BLE001 - whatever the cause, the job must not stay queued
            # The job must not sit in `queued` with no message behind it.
            logger.exception("job could not be queued", extra={"job_id": job_id})
            self._store.fail_queued(
                job_id, JobFailure(JobErrorCode.QUEUE_UNAVAILABLE).as_error(), self._clock()
            )
            metrics.add_metric(name="JobsNotQueued", unit="Count", value=1)
            raise ServiceUnavailable(
                "The job could not be queued; nothing will run. Submit it again."
            ) from None

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
        return {
            "job_id": job_id,
            "status": JobStatus.QUEUED.value,
            "job_type": job_type.name,
            "created_at": item["created_at"],
        }

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
