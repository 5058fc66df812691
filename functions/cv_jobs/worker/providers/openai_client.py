"""OpenAI through the official SDK: an explicit per-job key, SDK retries off (the worker decides
about retries through SQS), strict JSON-schema output.

Only parameters every current model takes, plus what the call plan says this model takes: the cap
goes as `max_completion_tokens` (reasoning models refuse `max_tokens`), `reasoning_effort` only when
set, and never `temperature` (reasoning models refuse anything but its default).
"""

from __future__ import annotations

import json
from typing import Any

import openai

from cv_jobs.credentials import ApiKey
from cv_jobs.errors import JobErrorCode, JobFailure
from cv_jobs.llm.provider_errors import classify_http_failure
from cv_jobs.worker.providers.base import LlmReply, LlmRequest


class OpenAIClient:
    def __init__(self, api_key: ApiKey, *, model: str, base_url: str | None = None) -> None:
        self._api_key = api_key
        self._model = model
        self._base_url = base_url

    def generate(self, request: LlmRequest) -> LlmReply:
        options: dict[str, Any] = {}
        if request.max_output_tokens is not None:
            options["max_completion_tokens"] = request.max_output_tokens
        if request.effort is not None:
            options["reasoning_effort"] = request.effort
        # A client per job: its key is never shared with another job in this warm process.
        with openai.OpenAI(
            api_key=self._api_key.reveal(),
            base_url=self._base_url,
            max_retries=0,
            timeout=request.timeout_seconds,
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
            except openai.APITimeoutError:
                raise JobFailure(JobErrorCode.TIMEOUT, log_hint="APITimeoutError") from None
            except openai.APIConnectionError:
                raise JobFailure(JobErrorCode.PROVIDER_UNAVAILABLE, log_hint="APIConnectionError") from None
            except openai.APIStatusError as error:
                code = error.code if isinstance(error.code, str) else ""
                raise JobFailure(
                    classify_http_failure(error.status_code, (code,)),
                    log_hint=f"openai status {error.status_code} code {code or '-'}",
                ) from None
        return _reply(completion)


def _reply(completion: openai.types.chat.ChatCompletion) -> LlmReply:
    if not completion.choices:
        raise JobFailure(JobErrorCode.INVALID_MODEL_OUTPUT, log_hint="no choices")
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise JobFailure(JobErrorCode.OUTPUT_TRUNCATED)
    if choice.finish_reason == "content_filter" or choice.message.refusal:
        raise JobFailure(JobErrorCode.CONTENT_BLOCKED)
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
