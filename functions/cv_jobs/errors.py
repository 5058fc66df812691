"""Typed errors with stable codes.

`ApiError`s become HTTP responses in exactly one place (the api's exception handler). `JobFailure`s
become a job's `error` in exactly one place (the worker's runner). Messages are ours: a provider's
raw error text never reaches a user, because it can echo fragments of the key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ApiError(Exception):
    """A request the api refuses. `detail` is a human-readable sentence for the `detail` field."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, detail: str | None = None, fields: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail if detail is not None else message
        self.fields = fields

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": {"code": self.code, "message": self.message},
            "detail": self.detail,
        }
        if self.fields is not None:
            body["fields"] = self.fields
        return body

    def headers(self) -> dict[str, str]:
        """Response headers the refusal needs (Retry-After on a 429)."""
        return {}


class ByokHeaderError(ApiError):
    status_code = 400
    code = "invalid_byok_headers"


class ByokRequired(ApiError):
    status_code = 400
    code = "byok_required"


class InvalidJson(ApiError):
    status_code = 400
    code = "invalid_json"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


class RequestValidationFailed(ApiError):
    status_code = 422
    code = "validation_error"


class InvalidIdempotencyKey(ApiError):
    status_code = 400
    code = "invalid_idempotency_key"


class IdempotencyKeyReused(ApiError):
    """The Idempotency-Key names an earlier, different request of this client."""

    status_code = 409
    code = "idempotency_key_reused"


class IdempotencyKeyInUse(ApiError):
    """The first request with this Idempotency-Key is still creating its job: retry shortly."""

    status_code = 409
    code = "idempotency_key_in_use"
    retry_after_seconds = 1

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class JobNotFound(ApiError):
    status_code = 404
    code = "job_not_found"


class RouteNotFound(ApiError):
    status_code = 404
    code = "route_not_found"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "service_unavailable"


class SystemBudgetExhausted(ApiError):
    """The day's budget of jobs on the system key is spent (the environment's or this client's)."""

    status_code = 429
    code = "system_budget_exhausted"

    def __init__(self, message: str, *, retry_after_seconds: int, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after_seconds = max(1, retry_after_seconds)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class JobErrorCode(StrEnum):
    """Why a job failed. The value is what the frontend sees in `error.code`."""

    INVALID_API_KEY = "invalid_api_key"
    INSUFFICIENT_QUOTA = "insufficient_quota"
    RATE_LIMITED = "rate_limited"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    TIMEOUT = "timeout"
    CONTENT_BLOCKED = "content_blocked"
    OUTPUT_TRUNCATED = "output_truncated"
    INVALID_MODEL_OUTPUT = "invalid_model_output"
    MODEL_NOT_FOUND = "model_not_found"
    PROVIDER_REJECTED_REQUEST = "provider_rejected_request"
    KEY_UNSEALING_FAILED = "key_unsealing_failed"
    CONFIGURATION_ERROR = "configuration_error"
    QUEUE_UNAVAILABLE = "queue_unavailable"
    # KMS or Secrets Manager throttled, failed inside or could not be reached: another try may work.
    SERVICE_UNAVAILABLE = "service_unavailable"
    # No attempt could finish the job in the time every attempt was given (the stale-job sweeper).
    JOB_STALLED = "job_stalled"
    INTERNAL_ERROR = "internal_error"


# Errors that another attempt may cure; everything else fails the job at once.
RETRYABLE = frozenset(
    {
        JobErrorCode.RATE_LIMITED,
        JobErrorCode.PROVIDER_UNAVAILABLE,
        JobErrorCode.TIMEOUT,
        JobErrorCode.INVALID_MODEL_OUTPUT,
        JobErrorCode.SERVICE_UNAVAILABLE,
        JobErrorCode.INTERNAL_ERROR,
    }
)

USER_MESSAGES: dict[JobErrorCode, str] = {
    JobErrorCode.INVALID_API_KEY: "The provider rejected the API key. Check the key and try again.",
    JobErrorCode.INSUFFICIENT_QUOTA: "The API key has no quota or credit left with the provider.",
    JobErrorCode.RATE_LIMITED: "The provider is rate limiting requests. Try again in a minute.",
    JobErrorCode.PROVIDER_UNAVAILABLE: "The AI provider is unavailable right now. Try again later.",
    JobErrorCode.TIMEOUT: "The AI provider did not answer in time. Try again later.",
    JobErrorCode.CONTENT_BLOCKED: "The provider declined to process this content.",
    JobErrorCode.OUTPUT_TRUNCATED: "The answer was too long for the model's output limit.",
    JobErrorCode.INVALID_MODEL_OUTPUT: "The model's answer did not have the expected structure.",
    JobErrorCode.MODEL_NOT_FOUND: "The configured model is not available for this API key.",
    JobErrorCode.PROVIDER_REJECTED_REQUEST: "The provider rejected the request.",
    JobErrorCode.KEY_UNSEALING_FAILED: (
        "Your API key could not be recovered for this job. Submit the job again."
    ),
    JobErrorCode.CONFIGURATION_ERROR: "The service is not configured to run jobs without your own key.",
    JobErrorCode.QUEUE_UNAVAILABLE: "The job could not be queued. Submit it again.",
    JobErrorCode.SERVICE_UNAVAILABLE: "A service the job needs was unavailable. Try again later.",
    JobErrorCode.JOB_STALLED: "The job could not be finished in time. Submit it again.",
    JobErrorCode.INTERNAL_ERROR: "The job failed because of an internal error.",
}


class JobFailure(Exception):
    """A job could not produce a result. Carries only our code; never provider text."""

    def __init__(
        self,
        code: JobErrorCode,
        *,
        log_hint: str = "",
        retry_after: float | None = None,
        provider_host: str | None = None,
    ) -> None:
        super().__init__(code.value)
        self.code = code
        # A short, key-free hint for operators (exception class, HTTP status); never shown to users.
        self.log_hint = log_hint
        # The provider's own "try again in" (Retry-After, Gemini's RetryInfo), in seconds.
        self.retry_after = retry_after
        # Which endpoint failed, for the operator's log line (a host, never a URL with a key).
        self.provider_host = provider_host

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE

    @property
    def user_message(self) -> str:
        return USER_MESSAGES[self.code]

    def as_error(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.user_message}
