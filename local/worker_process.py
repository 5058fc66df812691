"""The worker function in its own process, as in the cloud, where the api and the worker are
separate Lambda functions that share no memory.

One process for both would mix their module state: the shared Powertools logger would stamp a
worker's log line with the api invocation's context (function name, request id, correlation id)
whenever the two run at the same time, and in-memory caches would be shared in a way the cloud never
does. The child runs the SQS poller in front of the real worker handler until told to stop.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import warnings
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


class WorkerProcess:
    def __init__(self, settings: WorkerProcessSettings) -> None:
        self._settings = settings
        context = multiprocessing.get_context("spawn")  # a fresh interpreter, like a new function
        self._stop = context.Event()
        self._ready = context.Event()
        self._process = context.Process(
            target=_serve,
            args=(settings, self._ready, self._stop, os.getpid()),
            name="local-worker",
        )

    def start(self) -> WorkerProcess:
        """Start the child (it inherits os.environ as it is now) and wait until it polls."""
        self._process.start()
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        while not self._ready.wait(0.2):
            if not self._process.is_alive():
                raise RuntimeError(f"the worker process exited with {self._process.exitcode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the worker process was not ready in {_READY_TIMEOUT_SECONDS} s")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=self._settings.timeout_seconds + 5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)


def _serve(settings: WorkerProcessSettings, ready: Event, stop: Event, parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when the worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    warnings.filterwarnings("ignore", message="No application metrics to publish")
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
