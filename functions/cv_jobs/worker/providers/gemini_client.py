"""Gemini over its REST API with httpx. The key goes in the `x-goog-api-key` header, never in
the URL: URLs end up in logs and exception texts.

The cap goes as `maxOutputTokens` (thinking counts against it, so the plan leaves room), and
`thinkingConfig.thinkingLevel` only when the plan sets one: Gemini 2.5 models refuse a level, and
each 3.x model refuses the levels it does not take. No sampling parameters: 3.x ignores them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from cv_jobs.credentials import ApiKey
from cv_jobs.errors import JobErrorCode, JobFailure
from cv_jobs.llm.provider_errors import classify_http_failure, error_codes
from cv_jobs.llm.retry_hints import DAILY_QUOTA, gemini_daily_quota, gemini_retry_delay
from cv_jobs.worker.providers.base import LlmReply, LlmRequest
from cv_jobs.worker.providers.tls import gemini_ssl_context

_BLOCKED_FINISH_REASONS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)


class GeminiClient:
    def __init__(self, api_key: ApiKey, *, model: str, base_url: str) -> None:
        self._api_key = api_key
        self._model = model
        self._base_url = base_url.rstrip("/")
        # Named in operators' log lines: which endpoint failed (never the URL: no key is in it, but
        # the path names the model and says nothing an operator needs).
        self._host = urlsplit(self._base_url).hostname or "gemini"

    def generate(self, request: LlmRequest) -> LlmReply:
        model = request.model or self._model
        url = f"{self._base_url}/v1beta/models/{model}:generateContent"
        generation: dict[str, Any] = {
            "responseMimeType": "application/json",
            "responseJsonSchema": request.schema,
        }
        if request.max_output_tokens is not None:
            generation["maxOutputTokens"] = request.max_output_tokens
        if request.effort is not None:
            generation["thinkingConfig"] = {"thinkingLevel": request.effort}
        body = {
            "systemInstruction": {"parts": [{"text": request.system_prompt}]},
            "contents": [{"role": "user", "parts": [{"text": request.user_prompt}]}],
            "generationConfig": generation,
        }
        try:
            # A client per job: its key, connections and cookies are never shared with another job
            # in this warm process. Only the SSL context is shared (tls.py).
            with httpx.Client(timeout=request.timeout_seconds, verify=gemini_ssl_context()) as client:
                response = client.post(url, json=body, headers={"x-goog-api-key": self._api_key.reveal()})
        except httpx.TimeoutException as error:
            raise self._failure(JobErrorCode.TIMEOUT, f"timeout ({type(error).__name__})") from None
        except httpx.HTTPError as error:
            hint = f"connection failed ({type(error).__name__})"
            raise self._failure(JobErrorCode.PROVIDER_UNAVAILABLE, hint) from None
        if response.status_code >= 400:
            document = _json_or_none(response)
            codes = error_codes(document)
            if response.status_code == 429 and gemini_daily_quota(document):
                codes = (DAILY_QUOTA, *codes)
            raise self._failure(
                classify_http_failure(response.status_code, codes),
                f"HTTP {response.status_code} {'/'.join(codes) or '-'}",
                retry_after=gemini_retry_delay(document),
            )
        try:
            return self._reply(response, model)
        except JobFailure as failure:
            failure.provider_host = self._host
            failure.log_hint = f"gemini reply: {failure.log_hint or failure.code.value}"
            raise

    def _failure(self, code: JobErrorCode, what: str, retry_after: float | None = None) -> JobFailure:
        return JobFailure(code, log_hint=f"gemini {what}", retry_after=retry_after, provider_host=self._host)

    def _reply(self, response: httpx.Response, model: str) -> LlmReply:
        document = _json_or_none(response)
        if not isinstance(document, dict):
            raise JobFailure(JobErrorCode.PROVIDER_UNAVAILABLE, log_hint="gemini non-JSON reply")
        block_reason = (document.get("promptFeedback") or {}).get("blockReason")
        if block_reason:
            raise JobFailure(
                JobErrorCode.CONTENT_BLOCKED, log_hint=f"promptFeedback.blockReason {block_reason}"
            )
        candidates = document.get("candidates") or []
        if not candidates:
            raise JobFailure(JobErrorCode.INVALID_MODEL_OUTPUT, log_hint="no candidates")
        candidate = candidates[0]
        finish = candidate.get("finishReason")
        if finish == "MAX_TOKENS":
            raise JobFailure(JobErrorCode.OUTPUT_TRUNCATED, log_hint="finishReason MAX_TOKENS")
        if finish in _BLOCKED_FINISH_REASONS:
            raise JobFailure(JobErrorCode.CONTENT_BLOCKED, log_hint=f"finishReason {finish}")
        parts = (candidate.get("content") or {}).get("parts") or []
        text = "".join(part.get("text", "") for part in parts if not part.get("thought"))
        try:
            data = json.loads(text)
        except ValueError:
            raise JobFailure(JobErrorCode.INVALID_MODEL_OUTPUT, log_hint="not JSON") from None
        usage = document.get("usageMetadata") or {}
        thoughts = int(usage.get("thoughtsTokenCount", 0))
        return LlmReply(
            data=data,
            model=document.get("modelVersion") or model,
            usage={
                "input_tokens": int(usage.get("promptTokenCount", 0)),
                # candidatesTokenCount leaves the thoughts out; both are billed as output.
                "output_tokens": int(usage.get("candidatesTokenCount", 0)) + thoughts,
                "reasoning_tokens": thoughts,
                "total_tokens": int(usage.get("totalTokenCount", 0)),
            },
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
