"""What happened to jobs, as CloudWatch metrics: created, succeeded, failed, retried, time to a
terminal state, provider latency and tokens. Names and dimension sets: metric_names.py.

Each event is its own EMF document (Powertools' CloudWatch EMF provider), written at once as one
line, rather than a value on the shared `metrics` object: that object publishes one document per
invocation with one set of dimension values, while the records of a worker batch run concurrently
and differ in job type, provider and credential. Keys and CV text never reach a metric: only ids,
names from closed sets and numbers.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from cv_jobs import metric_names as names
from cv_jobs.errors import JobFailure

# One line at a time: records of a batch finish on several threads.
_write_lock = threading.Lock()


@dataclass(frozen=True)
class JobLabels:
    """The dimension values of one job."""

    job_type: str
    provider: str
    credential: str

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> JobLabels:
        return cls(
            job_type=str(item.get("job_type") or "unknown"),
            provider=str(item.get("provider") or "unknown"),
            credential=str(item.get("credential") or "unknown"),
        )


def job_created(item: Mapping[str, Any]) -> None:
    _emit(item, {names.JOBS_CREATED: ("Count", 1)})


def job_succeeded(item: Mapping[str, Any], *, now: float, usage: Mapping[str, Any] | None = None) -> None:
    properties = {"calls": (usage or {}).get("calls"), "model": (usage or {}).get("model")}
    _emit(item, {names.JOBS_SUCCEEDED: ("Count", 1), **_time_to_terminal(item, now)}, properties)


def job_failed(item: Mapping[str, Any], *, code: str, now: float) -> None:
    _emit(item, {names.JOBS_FAILED: ("Count", 1), **_time_to_terminal(item, now)}, error_code=code)


def job_retried(item: Mapping[str, Any], *, code: str) -> None:
    _emit(item, {names.JOBS_RETRIED: ("Count", 1)}, error_code=code)


def provider_called(
    item: Mapping[str, Any],
    *,
    step: str,
    model: str,
    seconds: float,
    usage: Mapping[str, Any] | None,
    outcome: str,
) -> None:
    """One provider call: its latency, and its tokens when it was answered (`outcome` "ok")."""
    values: dict[str, tuple[str, float]] = {
        names.PROVIDER_LATENCY: ("Milliseconds", round(seconds * 1000, 1))
    }
    for metric, field in ((names.INPUT_TOKENS, "input_tokens"), (names.OUTPUT_TOKENS, "output_tokens")):
        tokens = (usage or {}).get(field)
        if isinstance(tokens, int):
            values[metric] = ("Count", tokens)
    _emit(item, values, {"step": step, "model": model, "outcome": outcome})


class _Generates(Protocol):
    def generate(self, request: Any) -> Any: ...


class TimedProvider:
    """A provider client whose every call is published: its latency and, when answered, its tokens;
    `outcome` is "ok" or the job error code the call failed with."""

    def __init__(self, client: _Generates, item: Mapping[str, Any]) -> None:
        self._client = client
        self._item = item

    def generate(self, request: Any) -> Any:
        started = time.monotonic()
        reply, outcome = None, "internal_error"
        try:
            reply = self._client.generate(request)
            outcome = "ok"
            return reply
        except JobFailure as failure:
            outcome = failure.code.value
            raise
        finally:
            provider_called(
                self._item,
                step=str(getattr(request, "schema_name", "")),
                model=str(getattr(reply, "model", None) or getattr(request, "model", None) or ""),
                seconds=time.monotonic() - started,
                usage=getattr(reply, "usage", None),
                outcome=outcome,
            )


def _time_to_terminal(item: Mapping[str, Any], now: float) -> dict[str, tuple[str, float]]:
    try:
        created = datetime.fromisoformat(str(item["created_at"])).timestamp()
    except (KeyError, ValueError):
        return {}
    return {names.TIME_TO_TERMINAL: ("Seconds", round(max(0.0, now - created), 3))}


def _emit(
    item: Mapping[str, Any],
    values: Mapping[str, tuple[str, float]],
    properties: Mapping[str, Any] | None = None,
    *,
    error_code: str | None = None,
) -> None:
    if is_metrics_disabled():
        return
    labels = JobLabels.of(item)
    # Namespace and service from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME, as for
    # the shared metrics object.
    emf = AmazonCloudWatchEMFProvider()
    for name, (unit, value) in values.items():
        emf.add_metric(name=name, unit=unit, value=value)
    service = emf.service or "service_undefined"
    emf.add_dimensions(service=service, **{names.JOB_TYPE: labels.job_type})
    emf.add_dimensions(
        service=service, **{names.PROVIDER: labels.provider, names.CREDENTIAL: labels.credential}
    )
    if error_code is not None:
        emf.add_dimensions(service=service, **{names.ERROR_CODE: error_code})
    attempt = item.get("attempts")
    for key, value in {
        "job_id": item.get("job_id"),
        "attempt": int(attempt) if attempt is not None else None,
        **(properties or {}),
    }.items():
        if value is not None:
            emf.add_metadata(key=key, value=value)
    document: dict[str, Any] = dict(emf.serialize_metric_set())
    # One value per metric, written as a number rather than Powertools' one-element list: EMF takes
    # both, and Logs Insights can then aggregate the field (pct(ProviderLatency, 95)) directly.
    for name in values:
        if isinstance(document.get(name), list) and len(document[name]) == 1:
            document[name] = document[name][0]
    line = json.dumps(document, separators=(",", ":"), default=str) + "\n"
    with _write_lock:
        sys.stdout.write(line)
        sys.stdout.flush()
