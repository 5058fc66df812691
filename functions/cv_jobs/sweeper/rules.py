"""When no delivery can end a job any more: the sweeper's rules and its bound on a job's life
(docs/reliability.md; the reasoning is in sweep.py's docstring). Plain arithmetic on the queue's and
the worker's limits, importing nothing of the functions' runtime, so the CDK app can check a
job TTL against the same bound (infra/config.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cv_jobs.jobs import LEASE_GRACE_SECONDS

if TYPE_CHECKING:
    from cv_jobs.settings import SweeperSettings


@dataclass(frozen=True)
class StaleRules:
    max_attempts: int
    max_receive_count: int
    visibility_seconds: float
    worker_timeout_seconds: float
    margin_seconds: float
    # The workers' lease grace (their LEASE_GRACE_SECONDS): how long a lease outlives its invocation.
    lease_grace_seconds: float = LEASE_GRACE_SECONDS

    @classmethod
    def of(cls, settings: SweeperSettings) -> StaleRules:
        return cls(
            max_attempts=settings.max_attempts,
            max_receive_count=settings.max_receive_count,
            visibility_seconds=settings.queue_visibility_seconds,
            worker_timeout_seconds=settings.worker_timeout_seconds,
            margin_seconds=settings.margin_seconds,
            lease_grace_seconds=settings.lease_grace_seconds,
        )

    @property
    def lost_after_seconds(self) -> float:
        """How long after a lease ended a live message must have brought the job back."""
        return self.visibility_seconds + self.margin_seconds

    @property
    def max_age_seconds(self) -> float:
        """How old an open job can be while a delivery of its message may still come."""
        return (
            self.max_receive_count * self.visibility_seconds
            + self.worker_timeout_seconds
            + self.lease_grace_seconds
            + self.margin_seconds
        )

    def bound_seconds(self, sweep_interval_seconds: float) -> float:
        """From creation, the longest any job stays open (with the sweeper running every interval)."""
        return self.max_age_seconds + sweep_interval_seconds
