"""Worker crashes in local mode (`LOCAL_WORKER_CRASH_RATE`): that share of worker invocations (SQS
batches) dies mid-way, as a Lambda that times out or runs out of memory does: the process is killed
(SIGKILL, nothing cleaned up, nothing reported to the poller), so the batch's messages come back only
when their visibility timeout ends, and the local pool starts a new process, as Lambda would.

Where it dies is drawn per doomed invocation: just before or just after one of its DynamoDB writes
(a claim, a checkpoint, a result) chosen at random, or, if the batch finishes first, just before the
handler returns (the work is done but the poller never hears of it). Each crash is logged as a fault
event with the batch's job ids, so the fault run knows which jobs it hit and when.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from collections.abc import Callable
from typing import Any

from botocore import handlers

from local.faults import events

Handler = Callable[[dict[str, Any], Any], Any]
# Write boundaries (before and after each write) a doomed invocation may die at, per record: a job
# writes about three times (claim, checkpoint, result).
_BOUNDARIES_PER_RECORD = 6


class WorkerCrasher:
    def __init__(self, rate: float, *, seed: int | None = None) -> None:
        if not 0 <= rate <= 1:
            raise ValueError(f"LOCAL_WORKER_CRASH_RATE must be between 0 and 1, not {rate}")
        self._rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._countdown: int | None = None  # write boundaries left before this invocation dies
        self._job_ids: list[str] = []

    def install(self, session: Any = None) -> None:
        """Watch the writes of `session` (a botocore session), or of every session made from now on
        (as aws.py does)."""
        for event, hook in (
            ("before-call.dynamodb.UpdateItem", self._before_write),
            ("after-call.dynamodb.UpdateItem", self._after_write),
        ):
            if session is not None:
                session.register(event, hook)
            else:
                handlers.BUILTIN_HANDLERS.append((event, hook))

    def wrap(self, handler: Handler) -> Handler:
        """The worker handler, doomed in `rate` of its invocations."""

        def invoke(event: dict[str, Any], context: Any) -> Any:
            records = event.get("Records") or []
            with self._lock:
                self._job_ids = [_job_id(record) for record in records]
                doomed = self._random.random() < self._rate
                limit = _BOUNDARIES_PER_RECORD * max(1, len(records))
                self._countdown = self._random.randint(1, limit) if doomed else None
            response = handler(event, context)
            if self._countdown is not None:
                self._die("before the handler returned")
            return response

        return invoke

    def _before_write(self, **_: Any) -> None:
        self._boundary("before a write")

    def _after_write(self, **_: Any) -> None:
        self._boundary("after a write")

    def _boundary(self, point: str) -> None:
        with self._lock:
            if self._countdown is None:
                return
            self._countdown -= 1
            if self._countdown > 0:
                return
        self._die(point)

    def _die(self, point: str) -> None:
        events.emit(events.WORKER_CRASH, point=point, job_ids=self._job_ids)
        os.kill(os.getpid(), signal.SIGKILL)


def _job_id(record: dict[str, Any]) -> str:
    try:
        return str(json.loads(record.get("body") or "{}").get("job_id"))
    except (ValueError, AttributeError):
        return "?"


def install_worker_crashes(rate_text: str | None, handler: Handler, *, seed: int | None = None) -> Handler:
    """`handler`, doomed in LOCAL_WORKER_CRASH_RATE of its invocations (unset or 0: unchanged)."""
    rate = float(rate_text) if rate_text and rate_text.strip() else 0.0
    if rate <= 0:
        return handler
    crasher = WorkerCrasher(rate, seed=seed)
    crasher.install()
    return crasher.wrap(handler)
