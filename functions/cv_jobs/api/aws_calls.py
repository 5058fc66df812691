"""The api's AWS calls before a job is queued: retried within the invocation's time, and a 503 when
a dependency stays unavailable."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cv_jobs.aws.clients import API_ATTEMPT_SECONDS
from cv_jobs.aws.transient import is_transient, retry_within
from cv_jobs.deadline import Deadline
from cv_jobs.errors import ServiceUnavailable

Result = TypeVar("Result")


def before_the_job(call: Callable[[], Result], deadline: Deadline, calls_after: int) -> Result:
    """An AWS call before the job is queued, retried while `calls_after` more tries still fit; a
    dependency that stays unavailable is a 503 (nothing was queued), not a crash."""
    try:
        return retry_within(
            call,
            deadline,
            reserve_seconds=calls_after * API_ATTEMPT_SECONDS,
            attempt_seconds=API_ATTEMPT_SECONDS,
        )
    except Exception as error:
        if not is_transient(error):
            raise
        raise ServiceUnavailable(
            "The job could not be created right now; nothing will run. Submit it again."
        ) from None
