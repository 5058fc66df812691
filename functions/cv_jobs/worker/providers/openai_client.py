"""OpenAI through the official SDK: an explicit per-job key, SDK retries off (the worker decides
about retries through SQS), strict JSON-schema output.

Only parameters every current model takes, plus what the call plan says this model takes: the cap
goes as `max_completion_tokens` (reasoning models refuse `max_tokens`), `reasoning_effort` only when
set, and never `temperature` (reasoning models refuse anything but its default).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import openai

from cv_jobs.credentials import ApiKey
from cv_jobs.errors import JobErrorCode, JobFailure
from cv_jobs.llm.provider_errors import classify_http_failure
from cv_jobs.llm.retry_hints import openai_retry_after
from cv_jobs.worker.providers.base import LlmReply, LlmRequest
from cv_jobs.worker.providers.tls import openai_ssl_context


class OpenAIClient:
    def __init__(self, api_key: ApiKey, *, model: str, base_url: str | None = None) -> None:
        self._api_key = api_key
        self._model = model
        self._base_url = base_url
        # Named in operators' log lines: which endpoint failed.
        self._host = urlsplit(base_url).hostname if base_url else "api.openai.com"

    def generate(self, request: LlmRequest) -> LlmReply:
        options: dict[str, Any] = {}
        if request.max_output_tokens is not None:
            options["max_completion_tokens"] = request.max_output_tokens
        if request.effort is not None:
            options["reasoning_effort"] = request.effort
        # A client per job: its key, connections and cookies are never shared with another job in
        # this warm process. Only the SSL context is shared (tls.py).
        with openai.OpenAI(
            api_key=self._api_key.reveal(),
            base_url=self._base_url,
            max_retries=0,
            timeout=request.timeout_seconds,
            http_client=openai.DefaultHttpxClient(verify=openai_ssl_context()),
        ) as client:
            try:
                completion = client.chat.completions.create(
                    model=request.model or self._model,
                    messages=[
                        {"role": "system", "content": request.system_prompt},
                        {"role": "user", "content": request.user_prompt},
                    ],
                    response_format={
                        "type": "json_schema",
                        "json_schema": {
                            "name": request.schema_name,
                            "strict": True,
                            "schema": request.schema,
                        },
                    },
                    **options,
                )
            except openai.APITimeoutError as error:
                # The SDK's own class says only "timeout"; its cause says which phase (connect, read).
                cause = type(error.__cause__).__name__ if error.__cause__ else "APITimeoutError"
                raise self._failure(JobErrorCode.TIMEOUT, f"timeout ({cause})") from None
            except openai.APIConnectionError as error:
                cause = type(error.__cause__).__name__ if error.__cause__ else "APIConnectionError"
                raise self._failure(
                    JobErrorCode.PROVIDER_UNAVAILABLE, f"connection failed ({cause})"
                ) from None
            except openai.APIStatusError as error:
                code = error.code if isinstance(error.code, str) else ""
                raise self._failure(
                    classify_http_failure(error.status_code, (code,)),
                    f"HTTP {error.status_code} {code or '-'}",
                    retry_after=openai_retry_after(error.response.headers),
                ) from None
            except (openai.APIResponseValidationError, ValueError) as error:
                # A 2xx whose body is not the completion it should be: the provider misbehaved.
                hint = f"malformed reply ({type(error).__name__})"
                raise self._failure(JobErrorCode.PROVIDER_UNAVAILABLE, hint) from None
        try:
            return _reply(completion)
        except JobFailure as failure:
            failure.provider_host = self._host
            failure.log_hint = f"openai reply: {failure.log_hint or failure.code.value}"
            raise

    def _failure(self, code: JobErrorCode, what: str, retry_after: float | None = None) -> JobFailure:
        return JobFailure(code, log_hint=f"openai {what}", retry_after=retry_after, provider_host=self._host)


def _reply(completion: openai.types.chat.ChatCompletion) -> LlmReply:
    if not completion.choices:
        raise JobFailure(JobErrorCode.INVALID_MODEL_OUTPUT, log_hint="no choices")
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise JobFailure(JobErrorCode.OUTPUT_TRUNCATED, log_hint="finish_reason length")
    if choice.finish_reason == "content_filter":
        raise JobFailure(JobErrorCode.CONTENT_BLOCKED, log_hint="finish_reason content_filter")
    if choice.message.refusal:
        raise JobFailure(JobErrorCode.CONTENT_BLOCKED, log_hint="refusal")
    try:
        data = json.loads(choice.message.content or "")
    except ValueError:
        raise JobFailure(JobErrorCode.INVALID_MODEL_OUTPUT, log_hint="not JSON") from None
    usage = completion.usage
    if usage is None:
        return LlmReply(data=data, model=completion.model)
    details = usage.completion_tokens_details
    return LlmReply(
        data=data,
        model=completion.model,
        usage={
            "input_tokens": usage.prompt_tokens,
            # completion_tokens counts the reasoning tokens too; they are billed as output.
            "output_tokens": usage.completion_tokens,
            "reasoning_tokens": (details.reasoning_tokens or 0) if details else 0,
            "total_tokens": usage.total_tokens,
        },
    )
