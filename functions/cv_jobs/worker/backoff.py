"""When a failed job comes back: exponential backoff with jitter, never sooner than the provider
asked, never later than the cap (below the queue's visibility timeout, so the redelivery is ours
to time and not the visibility timeout's)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable


def retry_delay(
    attempt: int,
    *,
    base_seconds: float,
    cap_seconds: float,
    hint_seconds: float | None = None,
    uniform: Callable[[float, float], float] = random.uniform,
) -> int:
    """Whole seconds before attempt `attempt + 1`: half of base·2^(attempt-1) for sure, the other
    half drawn at random (spreads jobs that failed together), raised to the provider's hint."""
    ceiling = base_seconds * 2 ** max(0, attempt - 1)
    delay = ceiling / 2 + uniform(0, ceiling / 2)
    if hint_seconds is not None and hint_seconds > 0:
        delay = max(delay, hint_seconds)
    return max(0, math.ceil(min(delay, cap_seconds)))
