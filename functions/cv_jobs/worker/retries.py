"""How the worker gives a message back and keeps its writes: `RetryLater` (with when), the retry
notice GET shows while a job waits, and the final write retried within the invocation's deadline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from cv_jobs.aws.transient import retry_within
from cv_jobs.deadline import Deadline

Result = TypeVar("Result")

# A duplicate turned away by a live lease comes back this long after that lease ends, so the
# holder's last write is in before the redelivery looks.
GIVE_BACK_MARGIN_SECONDS = 5.0
# One DynamoDB write, with the client's own timeouts: what a retry must still have time for.
_WRITE_ATTEMPT_SECONDS = 1.0


class RetryLater(Exception):
    """The message should come back in `delay_seconds` (SQS redelivery). Never carries key material."""

    def __init__(self, reason: str, *, delay_seconds: float) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds


def give_back_delay(lease_expires_at: float, now: float) -> float:
    """The rest of a live lease, plus a little: when the duplicate may find the job free or finished."""
    return max(1.0, lease_expires_at - now + GIVE_BACK_MARGIN_SECONDS)


def retry_notice(
    code: str, *, attempt: int, max_attempts: int, delay_seconds: float, now: float
) -> dict[str, Any]:
    """What GET shows while the job waits: the code that failed, the attempt that comes next (of
    how many), and when it is due."""
    return {
        "code": code,
        "attempt": attempt + 1,
        "max_attempts": max_attempts,
        "next_attempt_at": datetime.fromtimestamp(now + delay_seconds, UTC).isoformat(timespec="seconds"),
    }


def keep_writing(write: Callable[[], Result], deadline: Deadline) -> Result:
    """A final write (succeed, fail, release) tried again after throttling or a network error for as
    long as the invocation lasts: losing it would throw away a paid answer and pay for it again."""
    return retry_within(write, deadline, attempt_seconds=_WRITE_ATTEMPT_SECONDS, first_pause_seconds=0.1)
