"""Scriptable provider faults of the FAKE servers: which share of generation requests fails, and how.

`FaultPlan.parse("429:0.1,500:0.05,timeout:0.02")` (the `FAKE_LLM_FAULTS` syntax) says that 10 % of
requests get a rate-limit answer, 5 % a server error and 2 % no answer in time; `FaultDice` draws one
outcome per request from a seeded generator (`FAKE_LLM_SEED`), and `FaultStats` counts what a fake
did, as `GET /_fake/stats` reports it. How each kind looks on the wire is each provider's business
(fault_replies.py).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Fault kinds besides plain HTTP statuses (429 and 5xx are written as their number).
RATE_LIMITED = "429"
QUOTA = "quota"  # a quota that waiting a minute does not restore (OpenAI insufficient_quota, Gemini daily)
TIMEOUT = "timeout"  # no answer until the client gives up
INVALID_JSON = "invalid_json"  # 200, but the model's text is not JSON
TRUNCATED = "truncated"  # 200, the answer cut off at the output cap
BLOCKED = "blocked"  # 200, the provider's safety system withheld the answer
NAMED_KINDS = frozenset({RATE_LIMITED, QUOTA, TIMEOUT, INVALID_JSON, TRUNCATED, BLOCKED})
# Faults answered with an HTTP error (or no answer at all) before any model output exists.
TRANSPORT_KINDS = frozenset({RATE_LIMITED, QUOTA, TIMEOUT})


def is_server_error(kind: str) -> bool:
    return kind.isdigit() and 500 <= int(kind) <= 599


def is_transport_fault(kind: str) -> bool:
    """True when the fault replaces the whole HTTP answer; False when it spoils a 200's content."""
    return kind in TRANSPORT_KINDS or is_server_error(kind)


@dataclass(frozen=True)
class FaultPlan:
    """Fault kind -> share of generation requests (0..1); the shares add up to at most 1."""

    rates: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> FaultPlan:
        """`kind:rate,kind:rate`; kinds: 429, 5xx statuses, quota, timeout, invalid_json, truncated,
        blocked. Raises ValueError naming what is wrong."""
        rates: dict[str, float] = {}
        for entry in (text or "").split(","):
            if not entry.strip():
                continue
            kind, separator, rate_text = entry.strip().partition(":")
            kind = kind.strip().lower()
            if not separator:
                raise ValueError(f"fault {entry.strip()!r} needs a rate: kind:rate, e.g. 429:0.1")
            if kind not in NAMED_KINDS and not is_server_error(kind):
                known = ", ".join(sorted(NAMED_KINDS | {"5xx"}))
                raise ValueError(f"unknown fault kind {kind!r}; known: {known}")
            try:
                rate = float(rate_text)
            except ValueError:
                raise ValueError(f"fault rate {rate_text.strip()!r} of {kind!r} is not a number") from None
            if not 0 <= rate <= 1:
                raise ValueError(f"fault rate of {kind!r} must be between 0 and 1, not {rate}")
            rates[kind] = rates.get(kind, 0.0) + rate
        if sum(rates.values()) > 1 + 1e-9:
            raise ValueError(f"fault rates add up to {sum(rates.values()):.3f}, more than 1")
        return cls(rates)

    def __bool__(self) -> bool:
        return any(rate > 0 for rate in self.rates.values())

    def describe(self) -> str:
        return ",".join(f"{kind}:{rate:g}" for kind, rate in self.rates.items()) or "none"


class FaultDice:
    """Draws the fault (or None) for each request; thread-safe, reproducible with a seed."""

    def __init__(self, plan: FaultPlan, seed: int | None = None) -> None:
        self.plan = plan
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        with self._lock:
            roll = self._random.random()
        for kind, rate in self.plan.rates.items():
            if roll < rate:
                return kind
            roll -= rate
        return None

    def uniform(self, low: float, high: float) -> float:
        """For the details of a fault (a retry hint's length, which of two forms)."""
        with self._lock:
            return self._random.uniform(low, high)


class FaultStats:
    """What a fake did with the generation requests it received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._answered = 0
        self._refused = 0
        self._faults: Counter[str] = Counter()

    def count(self, outcome: str) -> None:
        """`answered`, `refused` (the request itself was wrong: key, model, parameters) or a fault kind."""
        with self._lock:
            self._requests += 1
            if outcome == "answered":
                self._answered += 1
            elif outcome == "refused":
                self._refused += 1
            else:
                self._faults[outcome] += 1

    def clear(self) -> None:
        with self._lock:
            self._requests = self._answered = self._refused = 0
            self._faults.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self._requests,
                "answered": self._answered,
                "refused": self._refused,
                "faults": dict(sorted(self._faults.items())),
            }
