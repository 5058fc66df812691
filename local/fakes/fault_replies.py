"""How each scripted fault (faults.py) looks on the wire, in each provider's own format.

Rate limits carry the retry hints the real APIs send: OpenAI `retry-after` / `retry-after-ms` headers
(and `x-ratelimit-*`), Gemini a `google.rpc.RetryInfo` with `retryDelay` in the error's details next
to the `QuotaFailure` that names the quota. `quota` is what no retry cures: OpenAI's 429
`insufficient_quota`, Gemini's daily free-tier quota. A timeout holds the request past any client's
patience. Content faults spoil an otherwise good answer: text that is not JSON, an answer cut at the
output cap, a refusal or safety block.
"""

from __future__ import annotations

import math
from typing import Any

from local.fakes.base import Reply
from local.fakes.faults import (
    BLOCKED,
    INVALID_JSON,
    QUOTA,
    RATE_LIMITED,
    TIMEOUT,
    TRUNCATED,
    FaultDice,
)
from local.fakes.models import gemini_error, openai_error

# A request hit by `timeout` is held this long (the worker gives up long before), then answered 504.
TIMEOUT_HOLD_SECONDS = 150.0
# Retry hints of rate-limit faults: short, so a local fault run moves on in seconds.
_RETRY_HINT_SECONDS = (0.3, 2.0)
_FREE_TIER_METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_requests"


def openai_transport_fault(kind: str, dice: FaultDice, model: str, error_body: Any) -> Reply:
    """`error_body` is the fake's usual body for an HTTP status (used for 5xx)."""
    if kind == RATE_LIMITED:
        wait = dice.uniform(*_RETRY_HINT_SECONDS)
        body = openai_error(
            f"Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
            f"Limit 500, Used 500, Requested 1. Please try again in {wait:.3f}s. (fake OpenAI server)",
            "requests",
            "rate_limit_exceeded",
        )
        headers = (
            ("retry-after", str(math.ceil(wait))),
            ("retry-after-ms", str(round(wait * 1000))),
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", f"{wait:.3f}s"),
        )
        return Reply(429, body, headers, outcome=kind)
    if kind == QUOTA:
        body = openai_error(
            "You exceeded your current quota, please check your plan and billing details. "
            "(fake OpenAI server)",
            "insufficient_quota",
            "insufficient_quota",
        )
        return Reply(429, body, outcome=kind)
    if kind == TIMEOUT:
        body = openai_error("Gateway timeout (fake OpenAI server).", "server_error", None)
        return Reply(504, body, delay_seconds=TIMEOUT_HOLD_SECONDS, outcome=kind)
    return Reply(int(kind), error_body, outcome=kind)


def openai_spoil(kind: str, dice: FaultDice, completion: dict[str, Any]) -> None:
    """Turn a good chat completion into the content fault `kind` (in place)."""
    choice = completion["choices"][0]
    message = choice["message"]
    content = str(message.get("content") or "")
    if kind == INVALID_JSON:
        # The model chattering around its JSON: the text as a whole does not parse.
        message["content"] = f"Sure! Here is the JSON you asked for:\n{content}"
    elif kind == TRUNCATED:
        message["content"] = content[: len(content) // 2]
        choice["finish_reason"] = "length"
    elif kind == BLOCKED:
        message["content"] = None
        if dice.uniform(0, 1) < 0.5:
            message["refusal"] = "I'm sorry, but I can't help with that request."
        else:
            choice["finish_reason"] = "content_filter"


def gemini_transport_fault(kind: str, dice: FaultDice, model: str, error_body: Any) -> Reply:
    if kind in (RATE_LIMITED, QUOTA):
        wait = dice.uniform(*_RETRY_HINT_SECONDS)
        per = "Minute" if kind == RATE_LIMITED else "Day"
        limit = "10" if kind == RATE_LIMITED else "250"
        body = gemini_error(
            429,
            "You exceeded your current quota, please check your plan and billing details.\n"
            f"* Quota exceeded for metric: {_FREE_TIER_METRIC}, limit: {limit}, model: {model}\n"
            f"Please retry in {wait:.3f}s. (fake Gemini server)",
            "RESOURCE_EXHAUSTED",
        )
        body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": _FREE_TIER_METRIC,
                        "quotaId": f"GenerateRequestsPer{per}PerProjectPerModel-FreeTier",
                        "quotaDimensions": {"location": "global", "model": model},
                        "quotaValue": limit,
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                    }
                ],
            },
            # Google sends a RetryInfo with the daily quota too: the quotaId says waiting will not do.
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{math.ceil(wait)}s"},
        ]
        return Reply(429, body, outcome=kind)
    if kind == TIMEOUT:
        body = gemini_error(504, "Deadline expired before operation could complete.", "DEADLINE_EXCEEDED")
        return Reply(504, body, delay_seconds=TIMEOUT_HOLD_SECONDS, outcome=kind)
    return Reply(int(kind), error_body, outcome=kind)


def gemini_spoil(kind: str, dice: FaultDice, reply: dict[str, Any]) -> None:
    """Turn a good generateContent answer into the content fault `kind` (in place)."""
    candidate = reply["candidates"][0]
    parts = candidate["content"]["parts"]
    text = "".join(str(part.get("text", "")) for part in parts)
    if kind == INVALID_JSON:
        # Malformed JSON although the model reports a normal stop.
        candidate["content"]["parts"] = [{"text": text[: len(text) // 2]}]
    elif kind == TRUNCATED:
        candidate["content"]["parts"] = [{"text": text[: len(text) // 2]}]
        candidate["finishReason"] = "MAX_TOKENS"
    elif kind == BLOCKED:
        ratings = [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM", "blocked": True}]
        if dice.uniform(0, 1) < 0.5:
            # The prompt itself was blocked: no candidates at all.
            del reply["candidates"]
            reply["promptFeedback"] = {"blockReason": "SAFETY", "safetyRatings": ratings}
        else:
            del candidate["content"]
            candidate["finishReason"] = "SAFETY"
            candidate["safetyRatings"] = ratings
