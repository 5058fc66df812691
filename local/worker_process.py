"""The worker function in its own process, as in the cloud, where the api and the worker are
separate Lambda functions that share no memory.

One process for both would mix their module state: the shared Powertools logger would stamp a
worker's log line with the api invocation's context (function name, request id, correlation id)
whenever the two run at the same time, and in-memory caches would be shared in a way the cloud never
does. Each child runs the SQS poller in front of the real worker handler until told to stop.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
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
    retry_visibility_seconds: int
    capture_file: str | None
    environment: dict[str, str]  # the worker function's variables
    not_inherited: tuple[str, ...] = ()  # the api's variables, which the worker does not have


class WorkerPool:
    """`size` worker processes polling the same queue: Lambda runs concurrent batches in separate
    execution environments (up to the function's maximum concurrency), never two in one process."""

    def __init__(self, settings: WorkerProcessSettings, size: int = 1) -> None:
        self._settings = settings
        context = multiprocessing.get_context("spawn")  # a fresh interpreter, like a new function
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
        return self

    def stop(self) -> None:
        """Let each child finish the batch it holds, then exit."""
        self._stop.set()
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
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    for name in settings.not_inherited:
        os.environ.pop(name, None)
    os.environ.update(settings.environment)
    functions = str(Path(__file__).resolve().parent.parent / "functions")
    if functions not in sys.path:
        sys.path.insert(0, functions)

    from cv_jobs.worker.handler import lambda_handler
    from local.sqs_poller import SqsPoller

    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=settings.aws_endpoint, **FAKE_CREDENTIALS)
    poller = SqsPoller(
        sqs=sqs,
        queue_url=settings.queue_url,
        queue_arn=settings.queue_arn,
        worker_handler=lambda_handler,
        batch_size=settings.batch_size,
        timeout_seconds=settings.timeout_seconds,
        retry_visibility_seconds=settings.retry_visibility_seconds,
        capture_file=settings.capture_file,
    ).start()
    ready.set()
    # Also stop if the parent died without telling us (killed), instead of polling forever.
    while not stop.wait(1):
        if os.getppid() != parent_pid:
            break
    poller.stop()
