"""Stopwatches around the parts of a worker job, for the per-job overhead benchmark
(`benchmarks/timed_worker.py` installs them in its child; never deployed).

`timed_invocation` returns the handler's answer plus `bench_metrics`: the invocation's wall time, the
time spent in the provider calls' HTTP exchanges (the transports of httpx and of the openai SDK's
httpx2: request sent, answer's head received) and inside each jobs-store, key-sealer and system-key
call. Overhead is what is left when the provider's HTTP exchanges are taken out: building the request
and the client, reading the answer into the SDK's models, validation, AWS calls, logs and metrics
all count. (Timing the clients' whole `generate` once hid a per-job SSL context, ~20 ms of CPU.)
"""

from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import botocore.endpoint
import httpx
import httpx2

from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_key import SystemKeyProvider
from cv_jobs.worker import handler as worker
from local.moto_server import TIMING_HEADER

_lock = threading.Lock()
_spent: defaultdict[str, float] = defaultdict(float)


Patch = Callable[[Any, str, Any], None]


def _timed(owner: type, method: str, label: str, patch: Patch) -> None:
    original = getattr(owner, method)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            with _lock:
                _spent[label] += (time.perf_counter() - started) * 1000

    patch(owner, method, timed)


def _emulator_time(patch: Patch) -> None:
    """Adds up what moto says it spent over each AWS call (its answer's timing header): the part of
    an AWS call that is the emulator's own work, which in the cloud is AWS's service time instead."""
    original = botocore.endpoint.Endpoint._send

    @functools.wraps(original)
    def send(self: Any, request: Any) -> Any:
        response = original(self, request)
        spent = response.headers.get(TIMING_HEADER)
        if spent is not None:
            with _lock:
                _spent["emulator_ms"] += float(spent)
        return response

    patch(botocore.endpoint.Endpoint, "_send", send)


def install_stopwatches(patch: Patch = setattr) -> None:
    """`patch`: setattr here; a test passes its monkeypatch's, which undoes them."""
    for transport in (httpx.HTTPTransport, httpx2.HTTPTransport):
        _timed(transport, "handle_request", "provider_ms", patch)
    for method in ("get", "claim", "checkpoint", "succeed", "fail", "release"):
        if hasattr(JobsStore, method):
            _timed(JobsStore, method, "dynamodb_ms", patch)
    _timed(KeySealer, "unseal", "kms_ms", patch)
    _timed(SystemKeyProvider, "get", "secret_ms", patch)
    _emulator_time(patch)


def timed_invocation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _lock:
        _spent.clear()
    started = time.perf_counter()
    response = dict(worker.lambda_handler(event, context))
    total = (time.perf_counter() - started) * 1000
    jobs = max(1, len(event["Records"]))
    with _lock:
        spent = dict(_spent)
    metrics = {
        "failed": len(response.get("batchItemFailures", [])),
        "total_ms": total / jobs,
        "overhead_ms": (total - spent.get("provider_ms", 0.0)) / jobs,
        "emulator_ms": 0.0,
        **{label: value / jobs for label, value in spent.items()},
    }
    return {**response, "bench_metrics": metrics}
