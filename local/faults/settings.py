"""Local mode's fault settings, read once by `local.run` from its environment and checked before
anything starts (a typo in a fault plan stops the start-up with a sentence, not a traceback).

| variable | meaning |
|---|---|
| FAKE_LLM_FAULTS, FAKE_LLM_SEED | share of fake-provider calls failed per kind (local/fakes/faults.py) |
| LOCAL_FAKE_OPENAI_PORT, LOCAL_FAKE_GEMINI_PORT | the fakes' ports (0: any free one) |
| LOCAL_WORKER_CRASH_RATE | share of worker invocations killed mid-way (crash.py) |
| LOCAL_AWS_FAULTS | share of DynamoDB / SQS / KMS / Secrets Manager calls failed (aws.py) |
| LOCAL_VISIBILITY_SECONDS | the jobs queue's visibility timeout (the stack's: 6 x worker timeout) |
| LOCAL_WORKER_TIMEOUT_SECONDS | the local worker's timeout (the environment's workerTimeoutSeconds) |
| LOCAL_LEASE_GRACE_SECONDS | how long a claim's lease outlives its invocation (the cloud's: 30 s) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local.fakes.faults import FaultPlan
from local.faults.aws import AwsFaultPlan


def _number(environ: Mapping[str, str], name: str, kind: type[int] | type[float]) -> Any:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


@dataclass(frozen=True)
class LocalFaults:
    provider_faults: FaultPlan
    seed: int | None
    fake_openai_port: int
    fake_gemini_port: int
    crash_rate: float
    aws_faults: AwsFaultPlan
    visibility_seconds: int | None
    worker_timeout_seconds: int | None
    lease_grace_seconds: float | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LocalFaults:
        """Raises ValueError with a sentence naming the variable at fault."""
        env = os.environ if environ is None else environ
        try:
            provider_faults = FaultPlan.parse(env.get("FAKE_LLM_FAULTS"))
        except ValueError as error:
            raise ValueError(f"FAKE_LLM_FAULTS: {error}") from None
        try:
            aws_faults = AwsFaultPlan.parse(env.get("LOCAL_AWS_FAULTS"))
        except ValueError as error:
            raise ValueError(f"LOCAL_AWS_FAULTS: {error}") from None
        crash_rate = _number(env, "LOCAL_WORKER_CRASH_RATE", float) or 0.0
        if crash_rate > 1:
            raise ValueError("LOCAL_WORKER_CRASH_RATE must be between 0 and 1")
        timeout = _number(env, "LOCAL_WORKER_TIMEOUT_SECONDS", int)
        if timeout is not None and timeout < 10:
            raise ValueError("LOCAL_WORKER_TIMEOUT_SECONDS must be at least 10 (as the stack's)")
        grace = _number(env, "LOCAL_LEASE_GRACE_SECONDS", float)
        if grace is not None and not 1 <= grace <= 300:
            raise ValueError("LOCAL_LEASE_GRACE_SECONDS must be between 1 and 300 (the worker's limits)")
        return cls(
            provider_faults=provider_faults,
            seed=_number(env, "FAKE_LLM_SEED", int),
            fake_openai_port=_number(env, "LOCAL_FAKE_OPENAI_PORT", int) or 0,
            fake_gemini_port=_number(env, "LOCAL_FAKE_GEMINI_PORT", int) or 0,
            crash_rate=crash_rate,
            aws_faults=aws_faults,
            visibility_seconds=_number(env, "LOCAL_VISIBILITY_SECONDS", int) or None,
            worker_timeout_seconds=timeout,
            lease_grace_seconds=grace,
        )

    def shorten_visibility(self, sqs: Any, queue_url: str) -> None:
        """Set the jobs queue's visibility timeout to LOCAL_VISIBILITY_SECONDS, when set: a message
        held by a crashed worker then comes back in seconds rather than minutes."""
        if self.visibility_seconds:
            sqs.set_queue_attributes(
                QueueUrl=queue_url, Attributes={"VisibilityTimeout": str(self.visibility_seconds)}
            )

    def lease_environment(self) -> dict[str, str]:
        """LEASE_GRACE_SECONDS for the worker and the sweeper (both must reckon with the same lease),
        when LOCAL_LEASE_GRACE_SECONDS is set; otherwise they keep the cloud's."""
        if self.lease_grace_seconds is None:
            return {}
        return {"LEASE_GRACE_SECONDS": f"{self.lease_grace_seconds:g}"}

    def banner_lines(self, fake_urls: Mapping[str, str]) -> list[str]:
        """What the start-up banner says about the fakes and the faults."""
        lines = [f"  fake {name:<8} {url}   (GET {url}/_fake/stats)" for name, url in fake_urls.items()]
        active = []
        if fake_urls and self.provider_faults:
            seed = "" if self.seed is None else f", seed {self.seed}"
            active.append(f"providers {self.provider_faults.describe()}{seed}")
        if self.crash_rate:
            active.append(f"worker crashes {self.crash_rate:g} of invocations")
        if self.aws_faults:
            active.append(f"AWS {self.aws_faults.describe()}")
        if self.visibility_seconds:
            active.append(f"queue visibility {self.visibility_seconds} s")
        if self.worker_timeout_seconds:
            active.append(f"worker timeout {self.worker_timeout_seconds} s")
        if self.lease_grace_seconds:
            active.append(f"lease grace {self.lease_grace_seconds:g} s")
        if active:
            lines.append(f"  faults        {'; '.join(active)}")
        return lines
