"""The one place where provider failures become job error codes, for the worker's calls and the key
check alike.

Decisions rest on HTTP status and the provider's machine-readable code or status, never on
message text (which can change, and can echo parts of the key).
"""

from __future__ import annotations

from typing import Any

from cv_jobs.errors import JobErrorCode

_BY_STATUS = {
    400: JobErrorCode.PROVIDER_REJECTED_REQUEST,
    401: JobErrorCode.INVALID_API_KEY,
    403: JobErrorCode.INVALID_API_KEY,
    404: JobErrorCode.MODEL_NOT_FOUND,
    408: JobErrorCode.TIMEOUT,
    409: JobErrorCode.PROVIDER_UNAVAILABLE,
    413: JobErrorCode.PROVIDER_REJECTED_REQUEST,
    422: JobErrorCode.PROVIDER_REJECTED_REQUEST,
    429: JobErrorCode.RATE_LIMITED,
    504: JobErrorCode.TIMEOUT,
}

# Provider codes that overrule the status. OpenAI: error.code; Gemini: error.status or a
# details[].reason.
_BY_PROVIDER_CODE = {
    "invalid_api_key": JobErrorCode.INVALID_API_KEY,
    "insufficient_quota": JobErrorCode.INSUFFICIENT_QUOTA,
    "model_not_found": JobErrorCode.MODEL_NOT_FOUND,
    "content_filter": JobErrorCode.CONTENT_BLOCKED,
    "API_KEY_INVALID": JobErrorCode.INVALID_API_KEY,
    "API_KEY_SERVICE_BLOCKED": JobErrorCode.INVALID_API_KEY,
    "PERMISSION_DENIED": JobErrorCode.INVALID_API_KEY,
    "UNAUTHENTICATED": JobErrorCode.INVALID_API_KEY,
    "NOT_FOUND": JobErrorCode.MODEL_NOT_FOUND,
    "DEADLINE_EXCEEDED": JobErrorCode.TIMEOUT,
    "UNAVAILABLE": JobErrorCode.PROVIDER_UNAVAILABLE,
    # Gemini: the region, or a free tier without billing, does not allow the call. Final.
    "FAILED_PRECONDITION": JobErrorCode.PROVIDER_REJECTED_REQUEST,
    # A per-day quota ran out (retry_hints.DAILY_QUOTA): no retry helps before the next day.
    "daily_quota": JobErrorCode.INSUFFICIENT_QUOTA,
}


def classify_http_failure(status: int, provider_codes: tuple[str, ...] = ()) -> JobErrorCode:
    for code in provider_codes:
        if code in _BY_PROVIDER_CODE:
            return _BY_PROVIDER_CODE[code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return JobErrorCode.PROVIDER_UNAVAILABLE
    return JobErrorCode.PROVIDER_REJECTED_REQUEST


def error_codes(body: Any) -> tuple[str, ...]:
    """The machine-readable codes of a provider's error body, most specific first: Google's
    details[].reason before its error.status; OpenAI's error.code (a string; Google's is the HTTP
    status as a number, which says nothing new)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ()
    details = error.get("details")
    reasons = (
        [str(d["reason"]) for d in details if isinstance(d, dict) and d.get("reason")]
        if isinstance(details, list)
        else []
    )
    others = [value for value in (error.get("status"), error.get("code")) if isinstance(value, str)]
    return tuple(code for code in (*reversed(reasons), *others) if code)
