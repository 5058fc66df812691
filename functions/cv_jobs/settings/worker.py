"""The worker function's settings: its table, key, models, retries and deadline margin."""

from __future__ import annotations

from pydantic import Field

from cv_jobs.jobs import LEASE_GRACE_SECONDS
from cv_jobs.settings.common import _EnvSettings
from cv_jobs.settings.models import ModelSettings


class WorkerSettings(_EnvSettings, ModelSettings):
    system_openai_secret_arn: str = Field(alias="SYSTEM_OPENAI_SECRET_ARN", min_length=1)
    # Attempts before a retryable failure fails the job for good. The stack sets it one below the
    # queue's maxReceiveCount, so a delivery is left to fail a job whose attempts all crashed.
    max_attempts: int = Field(alias="MAX_ATTEMPTS", default=3, ge=1, le=10)
    # Time kept back from the Lambda deadline for the final DynamoDB write (and its retries).
    deadline_margin_seconds: float = Field(alias="DEADLINE_MARGIN_SECONDS", default=5.0, ge=0)
    system_key_cache_seconds: int = Field(alias="SYSTEM_KEY_CACHE_SECONDS", default=300, ge=0)
    # The queue's maxReceiveCount: the delivery that reaches it is the last (0: MAX_ATTEMPTS + 1).
    max_receive_count: int = Field(alias="MAX_RECEIVE_COUNT", default=0, ge=0, le=10)
    # The jobs queue, to time redeliveries (ChangeMessageVisibility); unset: SQS's visibility timeout.
    jobs_queue_url: str | None = Field(alias="JOBS_QUEUE_URL", default=None)
    # Backoff of a retried job: base·2^(attempt-1) with jitter, at most the cap (the stack keeps
    # the cap below the queue's visibility timeout).
    retry_base_seconds: float = Field(alias="RETRY_BASE_SECONDS", default=10.0, ge=0)
    retry_max_seconds: float = Field(alias="RETRY_MAX_SECONDS", default=300.0, ge=0, le=43_200)
    # How long a claim's lease outlives the invocation (cv_jobs.jobs); local fault runs shorten it.
    lease_grace_seconds: float = Field(alias="LEASE_GRACE_SECONDS", default=LEASE_GRACE_SECONDS, ge=1, le=300)

    @property
    def last_receive(self) -> int:
        return self.max_receive_count or self.max_attempts + 1
