"""The per-job overhead benchmark counts everything a job pays beyond the provider's HTTP exchange:
a client that is slow to build is overhead, not "provider call" (it once hid a per-job SSL context)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from benchmarks.stopwatches import install_stopwatches, timed_invocation
from local.examples import example_request
from tests.unit.conftest import Aws, Providers
from tests.unit.events import worker_context
from tests.unit.worker_support import GEMINI_BYOK, sqs_record, submit

SLOW_CLIENT_MS = 60


def test_building_the_provider_client_counts_as_overhead_not_as_the_provider_call(
    aws: Aws, providers: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the stopwatches, and an HTTP client that takes 60 ms to build
    install_stopwatches(monkeypatch.setattr)
    original_init = httpx.Client.__init__

    def slow_init(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        time.sleep(SLOW_CLIENT_MS / 1000)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", slow_init)
    submit(GEMINI_BYOK, "rephrase", example_request("rephrase"))
    [message] = aws.receive()
    record = sqs_record(aws, message)
    # When the timed worker runs the job
    metrics = timed_invocation({"Records": [record]}, worker_context())["bench_metrics"]
    # Then the job succeeded, its provider exchange was timed, and the slow build is in the overhead
    assert metrics["failed"] == 0
    assert 0 < metrics["provider_ms"] < SLOW_CLIENT_MS
    assert metrics["overhead_ms"] >= SLOW_CLIENT_MS
    assert metrics["dynamodb_ms"] > 0
