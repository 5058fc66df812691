"""The real worker handler with stopwatches around the parts of a job, for the per-job overhead
benchmark (loaded in a child as its handler module; never deployed).

Each invocation returns the handler's answer plus `bench_metrics`: the invocation's wall time, the
time spent inside the provider clients' `generate` (the provider call: HTTP round trip and the SDK
reading the answer) and inside each jobs-store, key-sealer and system-key call. Overhead is what is
left when the provider call is taken out.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from typing import Any

from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_key import SystemKeyProvider
from cv_jobs.worker import handler as worker
from cv_jobs.worker.providers.gemini_client import GeminiClient
from cv_jobs.worker.providers.openai_client import OpenAIClient

_lock = threading.Lock()
_spent: defaultdict[str, float] = defaultdict(float)


def _timed(owner: type, method: str, label: str) -> None:
    original = getattr(owner, method)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            with _lock:
                _spent[label] += (time.perf_counter() - started) * 1000

    setattr(owner, method, timed)


for _client in (OpenAIClient, GeminiClient):
    _timed(_client, "generate", "provider_ms")
for _method in ("get", "claim", "checkpoint", "succeed", "fail", "release"):
    if hasattr(JobsStore, _method):
        _timed(JobsStore, _method, "dynamodb_ms")
_timed(KeySealer, "unseal", "kms_ms")
_timed(SystemKeyProvider, "get", "secret_ms")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
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
        **{label: value / jobs for label, value in spent.items()},
    }
    return {**response, "bench_metrics": metrics}
