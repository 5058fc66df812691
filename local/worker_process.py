"""The worker function in its own process, as in the cloud, where the api and the worker are
separate Lambda functions that share no memory.

One process for both would mix their module state: the shared Powertools logger would stamp a
worker's log line with the api invocation's context (function name, request id, correlation id)
whenever the two run at the same time, and in-memory caches would be shared in a way the cloud never
does. Each child runs the SQS poller in front of the real worker handler until told to stop; a child
that dies (LOCAL_WORKER_CRASH_RATE, or a real crash) is replaced, as Lambda starts a new environment.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path

import boto3

from local.aws_emulator import FAKE_CREDENTIALS, REGION

_READY_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class WorkerProcessSettings:
    aws_endpoint: str
    queue_url: str
    queue_arn: str
    batch_size: int
    timeout_seconds: int
    retry_visibility_seconds: int | None
    capture_file: str | None
    environment: dict[str, str]  # the worker function's variables
    not_inherited: tuple[str, ...] = ()  # the api's variables, which the worker does not have


class WorkerPool:
    """`size` worker processes polling the same queue: Lambda runs concurrent batches in separate
    execution environments (up to the function's maximum concurrency), never two in one process."""

    def __init__(self, settings: WorkerProcessSettings, size: int = 1) -> None:
        self._settings = settings
        context = multiprocessing.get_context("spawn")  # a fresh interpreter, like a new function
        self._context = context
        self._supervisor: threading.Thread | None = None
        self._stop = context.Event()
        self._ready = [context.Event() for _ in range(size)]
        self._processes = [
            context.Process(
                target=_serve,
                args=(settings, ready, self._stop, os.getpid()),
                name=f"local-worker-{index}",
            )
            for index, ready in enumerate(self._ready)
        ]

    def start(self) -> WorkerPool:
        """Start the children and wait until all poll."""
        for process in self._processes:
            process.start()
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        for process, ready in zip(self._processes, self._ready, strict=True):
            while not ready.wait(0.2):
                if not process.is_alive():
                    self.stop()
                    raise RuntimeError(f"{process.name} exited with {process.exitcode}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{process.name} was not ready in {_READY_TIMEOUT_SECONDS} s")
        self._supervisor = threading.Thread(target=self._replace_dead, name="WorkerPool", daemon=True)
        self._supervisor.start()
        return self

    def _replace_dead(self) -> None:
        """Start a new process for each one that died (killed mid-batch: its messages come back after
        their visibility timeout, to whichever process polls then)."""
        while not self._stop.wait(0.5):
            for index, process in enumerate(self._processes):
                if process.is_alive() or self._stop.is_set():
                    continue
                print(
                    f"[local] {process.name} died (exit code {process.exitcode}); starting a new one",
                    file=sys.stderr,
                    flush=True,
                )
                # The new ready event is kept: an Event collected before the child starts is gone.
                self._ready[index] = self._context.Event()
                replacement = self._context.Process(
                    target=_serve,
                    args=(self._settings, self._ready[index], self._stop, os.getpid()),
                    name=process.name,
                )
                replacement.start()
                self._processes[index] = replacement

    def stop(self) -> None:
        """Let each child finish the batch it holds, then exit."""
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)  # no replacement starts once this returns
        deadline = time.monotonic() + self._settings.timeout_seconds + 5
        for process in self._processes:
            if process.pid is None:
                continue
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


def _serve(settings: WorkerProcessSettings, ready: Event, stop: Event, parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when the worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM to the group: stop too. The handler only notes it: setting the shared Event from a
    # handler deadlocks, since its notify waits for the sleepers to wake, this very thread among them.
    terminated: list[int] = []
    signal.signal(signal.SIGTERM, lambda number, _frame: terminated.append(number))
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    for name in settings.not_inherited:
        os.environ.pop(name, None)
    os.environ.update(settings.environment)
    functions = str(Path(__file__).resolve().parent.parent / "functions")
    if functions not in sys.path:
        sys.path.insert(0, functions)

    from cv_jobs.worker.handler import lambda_handler
    from local.faults.install import install_in_worker
    from local.sqs_poller import SqsPoller

    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=settings.aws_endpoint, **FAKE_CREDENTIALS)
    # After the poller's client (Lambda's own polling is not ours to fail), before the handler's.
    worker_handler = install_in_worker(lambda_handler)
    poller = SqsPoller(
        sqs=sqs,
        queue_url=settings.queue_url,
        queue_arn=settings.queue_arn,
        worker_handler=worker_handler,
        batch_size=settings.batch_size,
        timeout_seconds=settings.timeout_seconds,
        retry_visibility_seconds=settings.retry_visibility_seconds,
        capture_file=settings.capture_file,
    ).start()
    ready.set()
    # Also stop if the parent died without telling us (killed), instead of polling forever. The Event
    # is polled, never waited on: a child killed while waiting (LOCAL_WORKER_CRASH_RATE, a real crash)
    # would stay counted as a sleeper, and the parent's set() would wait for it to wake, forever.
    while not terminated and not stop.is_set():
        if os.getppid() != parent_pid:
            break
        time.sleep(0.5)
    poller.stop()
