"""The stale-job sweeper's settings."""

from __future__ import annotations

from pydantic import Field

from cv_jobs.jobs import LEASE_GRACE_SECONDS
from cv_jobs.settings.common import _FromEnv


class SweeperSettings(_FromEnv):
    """The stale-job sweeper: the queue and worker limits a job's deliveries live within (the stack
    sets them from the same config as the queue and the worker)."""

    jobs_table_name: str = Field(alias="JOBS_TABLE_NAME", min_length=1)
    max_attempts: int = Field(alias="MAX_ATTEMPTS", default=3, ge=1, le=10)
    max_receive_count: int = Field(alias="MAX_RECEIVE_COUNT", default=4, ge=1, le=10)
    queue_visibility_seconds: float = Field(alias="QUEUE_VISIBILITY_SECONDS", default=720, gt=0)
    worker_timeout_seconds: float = Field(alias="WORKER_TIMEOUT_SECONDS", default=120, gt=0)
    # Slack for SQS and Lambda to hand a visible message over (and for clocks).
    margin_seconds: float = Field(alias="STALE_MARGIN_SECONDS", default=120, ge=0)
    # The workers' lease grace (WorkerSettings.lease_grace_seconds): part of the bound on a job's age.
    lease_grace_seconds: float = Field(alias="LEASE_GRACE_SECONDS", default=LEASE_GRACE_SECONDS, ge=1, le=300)
