"""What a provider says about trying again, read from its machine-readable parts only.

OpenAI: the `retry-after-ms` and `retry-after` response headers (seconds or an HTTP date).
Gemini: the error body's details, `google.rpc.RetryInfo.retryDelay` ("37s", "0.5s") and
`google.rpc.QuotaFailure.violations[]`, whose quota id or metric says whether a per-day quota (the
free tier's daily requests) ran out: no retry helps with that one before tomorrow.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

# A made-up provider code for "a daily quota ran out" (provider_errors maps it to insufficient_quota).
DAILY_QUOTA = "daily_quota"


def openai_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    if not headers:
        return None
    lower = {name.lower(): value for name, value in headers.items()}
    milliseconds = _number(lower.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = lower.get("retry-after")
    seconds = _number(value)
    if seconds is not None or not value:
        return seconds
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def gemini_retry_delay(body: Any) -> float | None:
    for detail in _details(body):
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                return _number(delay[:-1])
            if isinstance(delay, dict):  # the proto form {seconds, nanos}
                seconds = _number(str(delay.get("seconds", 0))) or 0.0
                return seconds + (_number(str(delay.get("nanos", 0))) or 0.0) / 1e9
    return None


def gemini_daily_quota(body: Any) -> bool:
    for detail in _details(body):
        if not str(detail.get("@type", "")).endswith("google.rpc.QuotaFailure"):
            continue
        for violation in detail.get("violations") or []:
            if not isinstance(violation, dict):
                continue
            names = f"{violation.get('quotaId', '')} {violation.get('quotaMetric', '')}".lower()
            if "perday" in names or "per_day" in names or "daily" in names:
                return True
    return False


def _details(body: Any) -> list[dict[str, Any]]:
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and number >= 0 and number == number else None
