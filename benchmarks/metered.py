"""A handler with meters, for the cost model (loaded in a child as its handler module; never
deployed): for each invocation, the bytes it wrote to stdout (its CloudWatch log lines and EMF
metrics), the AWS calls it made by service and operation, and its CPU time.

BENCH_TARGET names the real handler module (cv_jobs.api.handler or cv_jobs.worker.handler).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

from botocore.client import BaseClient


class _CountingStdout:
    """stdout that counts what passes through it (Powertools' handlers keep a reference to it)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text.encode("utf-8"))
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_stdout = _CountingStdout(sys.stdout)
sys.stdout = _stdout
_calls: Counter[str] = Counter()
_lock = threading.Lock()
_original_call = BaseClient._make_api_call


def _counted_call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
    with _lock:
        _calls[f"{self.meta.service_model.service_name}.{operation}"] += 1
    return _original_call(self, operation, params)


BaseClient._make_api_call = _counted_call
_target = importlib.import_module(os.environ["BENCH_TARGET"])


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _lock:
        _calls.clear()
    before = _stdout.written
    cpu = time.process_time()
    started = time.perf_counter()
    response = dict(_target.lambda_handler(event, context))
    metrics = {
        "wall_ms": (time.perf_counter() - started) * 1000,
        "cpu_ms": (time.process_time() - cpu) * 1000,
        "log_bytes": _stdout.written - before,
        "calls": dict(_calls),
        "status": response.get("statusCode", len(response.get("batchItemFailures", []))),
    }
    return {**response, "bench_metrics": metrics}
