"""Whether a user's provider key works for this environment, without spending a token.

The provider's model-info endpoint (`cv_jobs.model_check.lookup.fetch_model_info`: OpenAI
`GET /v1/models/{model}`, Gemini `GET /v1beta/models/{model}`, the key in a header) is asked about
each model this environment configures for that provider. Its answers are read with the same
classifier as a job's provider errors (`cv_jobs.llm.provider_errors`), so a key that fails here says
what a job with it would fail with: `invalid_api_key`, `model_not_found`, `provider_unavailable`, ...

What such a call cannot tell: whether the key has credit left. OpenAI and Google answer model-info
calls for a key without quota; only a paid call would find out, and this check never makes one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.errors import USER_MESSAGES, JobErrorCode
from cv_jobs.llm.provider_errors import classify_http_failure
from cv_jobs.model_check.lookup import ModelInfoReply, fetch_model_info

# Below this much time left, another provider call would only end in our own timeout.
_MIN_CALL_SECONDS = 0.5
# Answers that come only after the provider has recognised the key.
_KEY_KNOWN = frozenset(
    {JobErrorCode.MODEL_NOT_FOUND, JobErrorCode.INSUFFICIENT_QUOTA, JobErrorCode.RATE_LIMITED}
)
OK_MESSAGE = "The provider accepted the key, and the models this service uses are available to it."

Fetch = Callable[..., ModelInfoReply]


@dataclass(frozen=True)
class ModelAvailability:
    model: str
    available: bool | None  # None: not found out (the key was refused first, or no answer)


@dataclass(frozen=True)
class KeyCheck:
    """The outcome. `valid`: the provider accepted the key (True), refused it (False), or could not
    be asked (None). `model_available`: every configured model is served to this key (True), one is
    not (False), or not found out (None). `code`: None when both are True, else the job error code
    a job with this key would meet first."""

    provider: Provider
    valid: bool | None
    model_available: bool | None
    code: JobErrorCode | None
    models: tuple[ModelAvailability, ...]

    def body(self) -> dict[str, Any]:
        return {
            "provider": self.provider.value,
            "valid": self.valid,
            "model_available": self.model_available,
            "code": self.code.value if self.code else None,
            "message": USER_MESSAGES[self.code] if self.code else OK_MESSAGE,
            "models": [{"model": entry.model, "available": entry.available} for entry in self.models],
        }


@dataclass(frozen=True)
class _Outcome:
    valid: bool | None
    available: bool | None
    code: JobErrorCode | None


def check_key(
    provider: Provider,
    api_key: ApiKey,
    models: Sequence[str],
    *,
    base_url: str,
    timeout_seconds: float,
    fetch: Fetch = fetch_model_info,
    clock: Callable[[], float] = time.monotonic,
) -> KeyCheck:
    """Ask about each model in turn, within `timeout_seconds` in all; stop at the first answer that
    is about the key rather than a model (a refused key makes every other question moot)."""
    deadline = clock() + timeout_seconds
    outcomes: list[_Outcome] = []
    for model in models:
        remaining = deadline - clock()
        if remaining < _MIN_CALL_SECONDS:
            outcomes.append(_Outcome(None, None, JobErrorCode.TIMEOUT))
            break
        outcome = _read(fetch(provider, model, api_key, base_url=base_url, timeout=remaining))
        outcomes.append(outcome)
        if outcome.code not in (None, JobErrorCode.MODEL_NOT_FOUND):
            break
    return _summary(provider, list(models), outcomes)


def _read(reply: ModelInfoReply) -> _Outcome:
    if reply.status is None:
        return _Outcome(
            None, None, JobErrorCode.TIMEOUT if reply.timed_out else JobErrorCode.PROVIDER_UNAVAILABLE
        )
    if reply.status == 200:
        return _Outcome(True, True, None)
    code = classify_http_failure(reply.status, reply.error_codes)
    if code is JobErrorCode.MODEL_NOT_FOUND:
        return _Outcome(True, False, code)
    if code is JobErrorCode.INVALID_API_KEY:
        return _Outcome(False, None, code)
    return _Outcome(True if code in _KEY_KNOWN else None, None, code)


def _summary(provider: Provider, models: list[str], outcomes: list[_Outcome]) -> KeyCheck:
    availability = tuple(
        ModelAvailability(model, outcomes[index].available if index < len(outcomes) else None)
        for index, model in enumerate(models)
    )
    verdicts = [outcome.valid for outcome in outcomes]
    valid = False if False in verdicts else True if True in verdicts else None
    answers = [entry.available for entry in availability]
    model_available = False if False in answers else True if answers and all(answers) and valid else None
    # A refused key is what the user must fix first; otherwise the first problem met.
    codes = [outcome.code for outcome in outcomes if outcome.code is not None]
    code = JobErrorCode.INVALID_API_KEY if valid is False else (codes[0] if codes else None)
    return KeyCheck(provider, valid, model_available, code, availability)
