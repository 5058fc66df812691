"""Looks up one configured model's status with the providers' cheap model-info endpoints.

OpenAI: `GET /v1/models/{model}` reports `shutdown_date` (YYYY-MM-DD, or null when none is
announced); a 404 means the model is gone or was never there. Gemini: `GET /v1beta/models/{model}`
says whether the model exists, but carries no deprecation; the known schedule (cv_jobs.llm.schedule)
fills that in. Without a key for a provider the model is looked up in the schedule only.

Keys go in headers only (Authorization / x-goog-api-key), never in a URL, and never into a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import httpx

from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.llm.provider_errors import error_codes
from cv_jobs.llm.schedule import known_shutdown

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"


class ModelState(StrEnum):
    AVAILABLE = "available"  # served, no shutdown announced
    DEPRECATED = "deprecated"  # served, shutdown announced beyond the warning window
    RETIRING = "retiring"  # served, shutdown within the warning window (or already past)
    UNKNOWN = "unknown"  # the provider does not know it: retired, or a typo in cdk.json
    UNCHECKED = "unchecked"  # could not be asked (no key, rejected key, provider error)


NEEDS_ATTENTION = frozenset({ModelState.DEPRECATED, ModelState.RETIRING, ModelState.UNKNOWN})


@dataclass(frozen=True)
class ModelStatus:
    provider: Provider
    model: str
    state: ModelState
    shutdown_date: date | None = None
    days_left: int | None = None
    source: str = ""  # where the answer came from: "provider", "schedule", or both
    detail: str = ""  # key-free: an HTTP status, an exception class

    @property
    def needs_attention(self) -> bool:
        return self.state in NEEDS_ATTENTION

    def as_log(self) -> dict[str, Any]:
        return {
            "provider": self.provider.value,
            "model": self.model,
            "state": self.state.value,
            "shutdown_date": self.shutdown_date.isoformat() if self.shutdown_date else None,
            "days_left": self.days_left,
            "source": self.source,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class _Answer:
    exists: bool | None  # None: not asked or no usable answer
    shutdown_date: date | None = None
    detail: str = ""


def look_up(
    provider: Provider,
    model: str,
    *,
    api_key: ApiKey | None,
    base_url: str,
    today: date,
    warning_days: int,
    timeout_seconds: float = 10.0,
) -> ModelStatus:
    answer = (
        _ask(provider, model, api_key, base_url, timeout_seconds)
        if api_key is not None
        else _Answer(None, detail="no key")
    )
    scheduled = known_shutdown(provider, model)
    if answer.exists is False:
        return ModelStatus(
            provider, model, ModelState.UNKNOWN, scheduled, source="provider", detail=answer.detail
        )
    dates = [day for day in (answer.shutdown_date, scheduled) if day is not None]
    sources = [
        name
        for name, asked in (("provider", answer.exists is not None), ("schedule", scheduled is not None))
        if asked
    ]
    if not dates:
        state = ModelState.AVAILABLE if answer.exists else ModelState.UNCHECKED
        return ModelStatus(provider, model, state, source="+".join(sources), detail=answer.detail)
    shutdown = min(dates)
    days_left = (shutdown - today).days
    state = ModelState.RETIRING if days_left <= warning_days else ModelState.DEPRECATED
    return ModelStatus(provider, model, state, shutdown, days_left, "+".join(sources), answer.detail)


@dataclass(frozen=True)
class ModelInfoReply:
    """What a provider's model-info endpoint answered, free of the key: the HTTP status, the parsed
    JSON body and its machine-readable error codes; or, with no HTTP answer, the transport error."""

    status: int | None  # None: no HTTP answer (see `transport_error`)
    document: Any = None  # the parsed JSON body, when there was one
    error_codes: tuple[str, ...] = ()
    transport_error: str = ""  # the exception class, e.g. ConnectTimeout
    timed_out: bool = False


def fetch_model_info(
    provider: Provider, model: str, api_key: ApiKey, *, base_url: str, timeout: float
) -> ModelInfoReply:
    """`GET` the model's info with the key in a header: the providers' cheapest authenticated call
    (no tokens are spent). Used by the daily model check and by the key check."""
    if provider is Provider.OPENAI:
        url = f"{base_url.rstrip('/')}/models/{model}"
        headers = {"Authorization": f"Bearer {api_key.reveal()}"}
    else:
        url = f"{base_url.rstrip('/')}/v1beta/models/{model}"
        headers = {"x-goog-api-key": api_key.reveal()}
    try:
        with httpx.Client(timeout=timeout) as client:
            response = client.get(url, headers=headers)
    except httpx.HTTPError as error:
        return ModelInfoReply(
            None, transport_error=type(error).__name__, timed_out=isinstance(error, httpx.TimeoutException)
        )
    try:
        document = response.json()
    except ValueError:
        document = None
    return ModelInfoReply(response.status_code, document, error_codes(document))


def _ask(provider: Provider, model: str, api_key: ApiKey, base_url: str, timeout: float) -> _Answer:
    reply = fetch_model_info(provider, model, api_key, base_url=base_url, timeout=timeout)
    if reply.status is None:
        return _Answer(None, detail=reply.transport_error)
    if reply.status == 404:
        return _Answer(False, detail="404")
    if reply.status != 200:
        return _Answer(None, detail=str(reply.status))
    if not isinstance(reply.document, dict):
        return _Answer(None, detail="non-JSON reply")
    document = reply.document
    return _Answer(True, _date(document.get("shutdown_date")) if provider is Provider.OPENAI else None)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None
