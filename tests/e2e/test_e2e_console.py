"""The local stack as a person watches it: one short line per event of a job on the console, the
full JSON lines (what CloudWatch would get) in the log file, every one of a job's lines keyed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.e2e.support import GatewayClient, LocalStack, accepted_job_id, marked_cv


def _wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_jobs_life_is_a_few_human_lines_on_the_console(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given a system-path job run to the end
    cv, _ = marked_cv()
    job_id = accepted_job_id(gateway.create_job("extract", {"cv_text": cv}))
    assert gateway.wait_until_finished(job_id)["status"] == "succeeded"
    short = job_id[:8]
    _wait_for(lambda: f"job {short} extract succeeded" in local_stack.console_text())

    # Then the console shows it queued, processing and succeeded, one line each
    lines = [line for line in local_stack.console_text().splitlines() if f"job {short}" in line]
    events = [
        next(e for e in ("queued", "processing", "succeeded") if e in line)
        for line in lines
        if "step" not in line
    ]
    assert events == ["queued", "processing", "succeeded"], lines
    assert all(len(line) <= 160 for line in lines)
    # and neither a raw log record nor a metric document
    assert not [line for line in local_stack.console_text().splitlines() if line.lstrip().startswith("{")]


def test_the_log_file_has_every_line_of_a_job_with_its_keys(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given a BYOK Gemini job run to the end
    cv, _ = marked_cv()
    headers = {"X-User-Provider": "gemini", "X-User-Api-Key": "AIza-canary-gemini-byok-0123456789"}
    job_id = accepted_job_id(gateway.create_job("extract", {"cv_text": cv}, headers=headers))
    assert gateway.wait_until_finished(job_id)["status"] == "succeeded"

    def job_records() -> list[dict[str, Any]]:
        records = [
            json.loads(line) for line in local_stack.json_log_text().splitlines() if line.startswith("{")
        ]
        return [r for r in records if r.get("job_id") == job_id]

    def metric_names(records: list[dict[str, Any]]) -> set[str]:
        documents = [r["_aws"]["CloudWatchMetrics"][0] for r in records if "_aws" in r]
        return {metric["Name"] for document in documents for metric in document["Metrics"]}

    # The worker's log lines and its EMF documents reach the file by separate writes: wait for both.
    _wait_for(
        lambda: (
            any(r.get("message") == "job succeeded" for r in job_records())
            and "JobsSucceeded" in metric_names(job_records())
        ),
        timeout=15,
    )

    # Then the api's and the worker's lines of this job carry its keys
    records = job_records()
    logged = [r for r in records if "message" in r]
    assert {"job queued", "job started", "job succeeded"} <= {str(r["message"]) for r in logged}
    for record in logged:
        assert (record["job_type"], record["provider"], record["credential"]) == ("extract", "gemini", "user")
        if record["service"] == "cv-ai-jobs-worker":
            assert record["attempt"] == 1
        else:
            assert record["correlation_id"]  # the gateway's request id
    # and the job's metrics are there as EMF documents
    assert {"JobsCreated", "JobsSucceeded", "ProviderLatency"} <= metric_names(records)
