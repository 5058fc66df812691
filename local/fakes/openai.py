"""FAKE OpenAI Chat Completions server (not the real provider); answers come from `answers`."""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from local.fakes.answers import fake_answer
from local.fakes.base import (
    FakeProviderServer,
    RecordedRequest,
    Reply,
    _ContentReply,
    estimate_tokens,
    masked_key,
)


class FakeOpenAIServer(FakeProviderServer):
    """FAKE OpenAI Chat Completions endpoint: `POST /v1/chat/completions`.

    Point the SDK at it with `base_url=server.url + "/v1"` (see `base_url`).
    """

    provider = "openai"
    _ERRORS: ClassVar[dict[int, tuple[str, str | None, str]]] = {
        400: ("invalid_request_error", None, "Invalid request (fake OpenAI server)."),
        401: (
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided.",
        ),
        403: (
            "invalid_request_error",
            "unsupported_country_region_territory",
            "Forbidden.",
        ),
        404: ("invalid_request_error", "model_not_found", "The model does not exist."),
        429: (
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached (fake OpenAI server).",
        ),
        500: ("server_error", None, "The server had an error (fake OpenAI server)."),
        503: (
            "server_error",
            None,
            "The engine is currently overloaded (fake OpenAI server).",
        ),
    }

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._counter = 0

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def error_body(self, status: int, message: str | None = None) -> Any:
        kind, code, default = self._ERRORS.get(status, ("server_error", None, "Error."))
        return openai_error(message or default, kind, code)

    def route(self, request: RecordedRequest) -> Reply:
        if request.path.rstrip("/") != "/v1/chat/completions":
            return Reply(404, openai_error(f"Unknown request URL: {request.path}.", code=None))
        if request.method != "POST":
            return Reply(405, openai_error("Method not allowed.", code=None))
        authorization = request.header("authorization") or ""
        key = authorization[len("Bearer ") :].strip() if authorization.startswith("Bearer ") else ""
        if not key:
            return Reply(
                401,
                openai_error(
                    "You didn't provide an API key. You need to provide your API key in an "
                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    code="invalid_api_key",
                ),
            )
        if self._is_rejected(key):
            return Reply(
                401,
                openai_error(
                    f"Incorrect API key provided: {masked_key(key)}.",
                    code="invalid_api_key",
                ),
            )
        body = request.body if isinstance(request.body, dict) else None
        if body is None or not body.get("model") or not isinstance(body.get("messages"), list):
            return Reply(400, openai_error("'model' and 'messages' are required.", code=None))
        if body.get("stream"):
            return Reply(400, openai_error("Streaming is not supported by the fake.", code=None))
        scripted = self._take_scripted()
        if isinstance(scripted, Reply):
            return scripted
        content = _openai_content(body.get("response_format"), body["messages"])
        finish_reason, delay = "stop", 0.0
        if isinstance(scripted, _ContentReply):
            content = content if scripted.content is None else scripted.content
            delay = scripted.delay_seconds
            finish_reason = scripted.finish_reason or "stop"
        return Reply(
            200,
            self._completion(body, content, finish_reason),
            (("x-request-id", f"req_fake_{self._counter}"),),
            delay,
        )

    def _completion(self, body: dict[str, Any], content: str, finish_reason: str) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            number = self._counter
        prompt_tokens = estimate_tokens(json.dumps(body.get("messages")))
        completion_tokens = estimate_tokens(content)
        return {
            "id": f"chatcmpl-fake-{number:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def _openai_content(response_format: Any, messages: list[Any]) -> str:
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema") or {}
            system = "\n".join(_texts(messages, "system", "developer"))
            user = "\n".join(_texts(messages, "user"))
            return json.dumps(fake_answer(schema, system=system, user=user))
        if response_format.get("type") == "json_object":
            return "{}"
    return "This is a reply from the local FAKE OpenAI server."


def _texts(messages: list[Any], *roles: str) -> list[str]:
    """The text of the messages with these roles (content as a string or as text parts)."""
    texts = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in roles:
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts += [str(part.get("text", "")) for part in content if isinstance(part, dict)]
    return texts


def openai_error(
    message: str, kind: str = "invalid_request_error", code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
