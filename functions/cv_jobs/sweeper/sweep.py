"""Which open jobs no delivery can finish any more, and failing them with `job_stalled`.

A job is open while it is queued or processing. Its message brings it back to a worker until the
queue's maxReceiveCount is spent; every receive is at most one visibility timeout after the one
before (the worker's backoff and its give-back of a duplicate are shorter), and a claim's lease
ends at most worker timeout + G after it began (G: the lease grace, 30 s in the cloud). So, with V the
visibility timeout, R the maxReceiveCount, T the worker timeout and m a margin for SQS and Lambda to
hand a message over:

- processing, every attempt used and the lease over: only the queue's last delivery could still
  fail it (internal_error); the sweep does it now, a visibility timeout sooner;
- processing, lease over for more than V + m: a live message would have come back by then, so there
  is none (lost by receives a duplicate or a throttled invocation spent, or in the DLQ);
- open and older than R·V + T + G + m with no live lease: no delivery of its message can still come.

Every job is therefore terminal within R·V + T + G + m + the sweep interval of its creation
(docs/reliability.md). A job held by a live lease is never touched: its holder writes its outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from cv_jobs import job_metrics
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.open_jobs import OpenJob
from cv_jobs.errors import JobErrorCode, JobFailure
from cv_jobs.jobs import JobStatus
from cv_jobs.log_keys import job_log_keys
from cv_jobs.observability import logger
from cv_jobs.sweeper.rules import StaleRules


def stale_reason(job: OpenJob, now: float, rules: StaleRules) -> str | None:
    """Why no delivery can finish `job` any more, or None while one still may."""
    lease = job.lease_expires_at
    if lease is not None and lease >= now:
        return None  # its holder is alive (or within its grace): the holder writes the outcome
    if job.status is JobStatus.PROCESSING and lease is not None:
        if job.attempts >= rules.max_attempts:
            return "every attempt used"
        if now - lease > rules.lost_after_seconds:
            return "no delivery since its lease ended"
    if now - _epoch(job.created_at, now) > rules.max_age_seconds:
        return "older than any delivery of its message"
    return None


@dataclass(frozen=True)
class SweepReport:
    open_jobs: int
    failed: int


def sweep(
    jobs: Iterable[OpenJob],
    store: JobsStore,
    rules: StaleRules,
    clock: Callable[[], float],
) -> SweepReport:
    seen = failed = 0
    error = JobFailure(JobErrorCode.JOB_STALLED).as_error()
    for job in jobs:
        seen += 1
        now = clock()
        reason = stale_reason(job, now, rules)
        if reason is None:
            continue
        # Conditional: skipped when the job finished or an attempt claimed it since it was read.
        if store.fail_stale(job.job_id, error, now):
            failed += 1
            job_metrics.job_failed(job.item, code=JobErrorCode.JOB_STALLED.value, now=now)
            # The index projects job type, provider and credential: the keys every job line carries.
            with job_log_keys(
                job_id=job.job_id,
                job_type=job.item.get("job_type"),
                provider=job.item.get("provider"),
                credential=job.item.get("credential"),
            ):
                logger.warning(
                    "stale job failed",
                    extra={
                        "status": job.status.value,
                        "attempts": job.attempts,
                        "reason": reason,
                        "code": JobErrorCode.JOB_STALLED.value,
                    },
                )
    return SweepReport(open_jobs=seen, failed=failed)


def _epoch(iso: str, default: float) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return default
