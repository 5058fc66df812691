"""An invocation's deadline, from Lambda's remaining time: every wait and retry is budgeted from it."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """When this invocation ends."""

    expires_at: float  # time.monotonic() value

    @classmethod
    def in_seconds(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())
