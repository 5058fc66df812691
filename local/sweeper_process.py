"""The stale-job sweeper in local mode: its own process (as in the cloud, a function of its own) that
invokes the real sweeper handler every few seconds, as the stack's schedule does every few minutes.

Stopped by the parent through an Event, or by SIGTERM to the process group; the signal handler only
notes the signal (setting a multiprocessing Event from a handler can deadlock the process).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.synchronize import Event
from pathlib import Path

_STOP_SECONDS = 10


class SweeperProcess:
    def __init__(self, environment: dict[str, str], interval_seconds: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve,
            args=(environment, interval_seconds, self._stop, os.getpid()),
            name="local-sweeper",
        )

    def start(self) -> SweeperProcess:
        self._process.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._process.pid is None:
            return
        self._process.join(timeout=_STOP_SECONDS)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)


def _serve(environment: dict[str, str], interval_seconds: float, stop: Event, parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated: list[int] = []
    signal.signal(signal.SIGTERM, lambda number, _frame: terminated.append(number))
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    os.environ.update(environment)
    functions = str(Path(__file__).resolve().parent.parent / "functions")
    if functions not in sys.path:
        sys.path.insert(0, functions)

    from cv_jobs.sweeper.handler import lambda_handler
    from local.lambda_context import new_context

    while not terminated and not stop.wait(interval_seconds) and os.getppid() == parent_pid:
        started = time.monotonic()
        try:
            lambda_handler({}, new_context("cv-ai-jobs-local-sweeper", memory_mb=256, timeout_seconds=60))
        except Exception as error:  # noqa: BLE001 - as the schedule would, try again next time
            print(
                f"[local-sweeper] sweep failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True
            )
        if time.monotonic() - started > 60:
            print("[local-sweeper] a sweep ran past the function's timeout", file=sys.stderr, flush=True)
