"""The keys that tie every log line to its job: `job_id`, `job_type`, `provider`, `credential` and,
in the worker, `attempt`.

They are Powertools' thread-safe keys (a context variable), not `logger.append_keys`, which is global
to the logger: the records of a worker batch run concurrently on threads (`asyncio.to_thread` gives
each its own copy of the context), so one job's keys must never reach another job's lines. A scope
restores the keys it found when it ends, so a warm api function does not carry one request's job
into the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, Protocol, TypeVar

from cv_jobs.observability import logger

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Result = TypeVar("Result")


class _Message(Protocol):
    job_id: str
    job_type: str


@contextmanager
def job_log_keys(**keys: Any) -> Iterator[None]:
    """`keys` (None values left out) on every line this thread writes while the block runs."""
    before = dict(logger.thread_safe_get_current_keys())
    add_job_log_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_clear_keys()
        if before:
            logger.thread_safe_append_keys(**before)


def add_job_log_keys(**keys: Any) -> None:
    """Keys learnt inside a scope (the provider once the record is read, the attempt once claimed)."""
    present = {name: value for name, value in keys.items() if value is not None}
    if present:
        logger.thread_safe_append_keys(**present)


def logged_job(
    run: Callable[..., Result],
) -> Callable[..., Result]:
    """For `run(self, message, ...)`: the message's job id and type on every line of the run."""

    @wraps(run)
    def with_keys(self: Any, message: _Message, *args: Any, **kwargs: Any) -> Result:
        with job_log_keys(job_id=message.job_id, job_type=message.job_type):
            return run(self, message, *args, **kwargs)

    return with_keys


def logged_request(
    handler: Callable[[dict[str, Any], Any], Result],
) -> Callable[[dict[str, Any], Any], Result]:
    """For the api handler: a request about one job (GET or DELETE /ai/jobs/{job_id}) carries its
    `job_id` on every line; a create adds it once the id exists (add_job_log_keys). The path value
    is the client's, so only a UUID is logged."""

    @wraps(handler)
    def with_keys(event: dict[str, Any], context: Any) -> Result:
        job_id = ((event or {}).get("pathParameters") or {}).get("job_id")
        valid = isinstance(job_id, str) and _UUID.fullmatch(job_id) is not None
        with job_log_keys(job_id=job_id if valid else None):
            return handler(event, context)

    return with_keys
