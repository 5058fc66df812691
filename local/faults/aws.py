"""Injected AWS failures in local mode (`LOCAL_AWS_FAULTS=dynamodb:0.02,kms:0.01,sqs:0.01`).

A botocore `before-call` hook fails that share of a service's calls, as a call fails once the SDK's
own retries gave up: a throttling error, an internal error (both `ClientError`, with the service's own
codes) or a connection error. It is installed only in the local api and worker processes, before their
handlers build their clients, as one of botocore's built-in handlers: every botocore session made from
then on carries it (the functions make their own sessions), none made before does, so the emulator's
provisioning and the local poller (Lambda's part) are never hit. Each failure is logged as a fault
event (events.py) naming the job it was about.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore import handlers
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

from local.faults import events

# Per service: (error code, HTTP status) of its throttling and internal errors.
_ERRORS: Mapping[str, tuple[tuple[str, int], ...]] = {
    "dynamodb": (("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)),
    "sqs": (("RequestThrottled", 400), ("InternalError", 500)),
    "kms": (("ThrottlingException", 400), ("KMSInternalException", 500)),
    "secretsmanager": (("ThrottlingException", 400), ("InternalServiceError", 500)),
}
SERVICES = frozenset(_ERRORS)
PROCESSES = ("api", "worker")
# botocore names its events after the hyphenated service id, not the endpoint prefix.
_EVENT_IDS = {"secretsmanager": "secrets-manager"}
CONNECTION_ERROR = "EndpointConnectionError"


@dataclass(frozen=True)
class AwsFaultPlan:
    """Service (or `process.service`, for one process only) -> share of its calls that fail."""

    rates: Mapping[str, float]

    @classmethod
    def parse(cls, text: str | None) -> AwsFaultPlan:
        """`service:rate,...` with services dynamodb, sqs, kms, secretsmanager, each optionally
        prefixed with `api.` or `worker.` to fail that process's calls only. Raises ValueError."""
        rates: dict[str, float] = {}
        for entry in (text or "").split(","):
            if not entry.strip():
                continue
            target, separator, rate_text = entry.strip().partition(":")
            target = target.strip().lower()
            process, _, service = target.rpartition(".")
            if service not in SERVICES or process not in ("", *PROCESSES) or not separator:
                known = ", ".join(sorted(SERVICES))
                raise ValueError(
                    f"AWS fault {entry.strip()!r}: use [api.|worker.]service:rate, service one of {known}"
                )
            try:
                rate = float(rate_text)
            except ValueError:
                raise ValueError(f"AWS fault rate {rate_text.strip()!r} is not a number") from None
            if not 0 <= rate <= 1:
                raise ValueError(f"AWS fault rate of {service} must be between 0 and 1, not {rate}")
            rates[target] = rate
        return cls(rates)

    def for_process(self, process: str) -> dict[str, float]:
        """Service -> rate in `process` (an entry for the process overrides one for every process)."""
        rates = {target: rate for target, rate in self.rates.items() if "." not in target}
        for target, rate in self.rates.items():
            owner, _, service = target.partition(".")
            if service and owner == process:
                rates[service] = rate
        return rates

    def __bool__(self) -> bool:
        return any(rate > 0 for rate in self.rates.values())

    def describe(self) -> str:
        return ",".join(f"{service}:{rate:g}" for service, rate in self.rates.items()) or "none"


class AwsFaultInjector:
    """The `before-call` hook: answers a call with an error instead of sending it."""

    def __init__(self, plan: AwsFaultPlan, *, seed: int | None = None, process: str = "") -> None:
        self._rates = plan.for_process(process)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._process = process

    def install(self, session: Any = None) -> None:
        """Hook every service of the plan on `session` (a botocore session), or on every botocore
        session made from now on in this process."""
        for service in self._rates:
            event = f"before-call.{_EVENT_IDS.get(service, service)}"
            if session is not None:
                session.register(event, self._before_call)
            else:
                handlers.BUILTIN_HANDLERS.append((event, self._before_call))

    def _before_call(self, *, model: Any, params: Mapping[str, Any], **_: Any) -> Any:
        service = model.service_model.endpoint_prefix
        rate = self._rates.get(service, 0.0)
        with self._lock:
            hit = self._random.random() < rate
            choice = self._random.randrange(len(_ERRORS[service]) + 1) if hit else 0
        if not hit:
            return None
        operation = model.name
        url = str(params.get("url") or f"https://{service}.local")
        job_id = events.job_id_in(params.get("body"))
        if choice == len(_ERRORS[service]):
            events.emit(
                events.AWS_FAULT,
                process=self._process,
                service=service,
                operation=operation,
                error=CONNECTION_ERROR,
                job_id=job_id,
            )
            raise EndpointConnectionError(endpoint_url=url)
        code, status = _ERRORS[service][choice]
        events.emit(
            events.AWS_FAULT,
            process=self._process,
            service=service,
            operation=operation,
            error=code,
            job_id=job_id,
        )
        parsed = {
            "Error": {"Code": code, "Message": f"Injected by LOCAL_AWS_FAULTS ({code})."},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "local-fault", "HTTPHeaders": {}},
        }
        return AWSResponse(url, status, {}, None), parsed


def install_aws_faults(spec: str | None, *, seed: int | None = None, process: str = "") -> AwsFaultPlan:
    """Parse `spec` (LOCAL_AWS_FAULTS) and, if it asks for any, hook the default session."""
    plan = AwsFaultPlan.parse(spec)
    if plan:
        AwsFaultInjector(plan, seed=seed, process=process).install()
    return plan
