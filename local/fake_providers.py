"""FAKE OpenAI and Gemini servers for offline demos and tests. They are not the real providers.

Each is a real local HTTP server (the openai SDK brings its own HTTP client, so nothing short of a
socket is a faithful fake) that speaks the provider's wire format for the one call the worker makes,
answers with an instance of the JSON schema the request asked for, and records every request it
received so tests can check which key was sent and how. Tests can script the next replies
(`fail_next`, `reply_next`) and reject keys (`reject_key`) to exercise the worker's error handling.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from local.http_server import BackgroundHTTPServer, QuietHandler
from local.schema_sample import sample_instance


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None when the body was empty or not JSON
    raw_body: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def mentions(self, text: str) -> bool:
        """True when `text` occurs anywhere in the request body (e.g. a test's marker)."""
        return text.encode() in self.raw_body


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: tuple[tuple[str, str], ...] = ()
    delay_seconds: float = 0.0


class _Handler(QuietHandler):
    server_owner: FakeProviderServer

    def _handle(self) -> None:
        self.server_owner._dispatch(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class FakeProviderServer(BackgroundHTTPServer):
    """Recording, scriptable base of the two fakes."""

    handler_class = _Handler
    provider = "fake"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._scripted: deque[Reply | _ContentReply] = deque()
        self._rejected_keys: set[str] = set()

    # --- what tests use -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._scripted.clear()
            self._rejected_keys.clear()

    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        delay_seconds: float = 0.0,
    ) -> None:
        """Answer the next `times` authenticated calls with `status` and `body` (default: the
        provider's usual error body for that status)."""
        reply = Reply(
            status,
            body if body is not None else self.error_body(status),
            tuple((headers or {}).items()),
            delay_seconds,
        )
        with self._lock:
            self._scripted.extend([reply] * times)

    def reply_next(
        self,
        content: str,
        *,
        finish_reason: str | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        """Answer the next authenticated call successfully, but with this raw model output (e.g.
        invalid JSON) and finish reason (e.g. a truncated or blocked answer)."""
        with self._lock:
            self._scripted.append(_ContentReply(content, finish_reason, delay_seconds))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` authenticated calls normally, but only after `seconds` (a slow
        provider; or a way to observe a job while it is processing)."""
        with self._lock:
            self._scripted.extend([_ContentReply(None, None, seconds)] * times)

    def reject_key(self, key: str) -> None:
        """Treat `key` as invalid, like the provider does with a revoked key."""
        with self._lock:
            self._rejected_keys.add(key)

    # --- provider specifics ---------------------------------------------------------------------

    def error_body(self, status: int, message: str | None = None) -> Any:
        raise NotImplementedError

    def route(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    # --- plumbing -------------------------------------------------------------------------------

    def _dispatch(self, handler: _Handler) -> None:
        raw_body = handler.read_body()
        parts = urlsplit(handler.path)
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        request = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=body,
            raw_body=raw_body,
        )
        with self._lock:
            self._requests.append(request)
        reply = self.route(request)
        if reply.delay_seconds:
            time.sleep(reply.delay_seconds)
        payload = json.dumps(reply.body).encode()
        headers = [("Content-Type", "application/json"), *reply.headers]
        handler.send(reply.status, payload, headers)

    def _take_scripted(self) -> Reply | _ContentReply | None:
        with self._lock:
            return self._scripted.popleft() if self._scripted else None

    def _is_rejected(self, key: str) -> bool:
        with self._lock:
            return key in self._rejected_keys


@dataclass(frozen=True)
class _ContentReply:
    content: str | None  # None: the usual schema-generated answer
    finish_reason: str | None
    delay_seconds: float


def _masked(key: str) -> str:
    # Like OpenAI's own 401 text, which echoes fragments of the key it was given: the worker must
    # never pass a provider's message through to users.
    return f"{key[:6]}{'*' * 8}{key[-4:]}" if len(key) > 10 else "*" * len(key)


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


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
                    f"Incorrect API key provided: {_masked(key)}.",
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
        content = _openai_content(body.get("response_format"))
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
        prompt_tokens = _estimate_tokens(json.dumps(body.get("messages")))
        completion_tokens = _estimate_tokens(content)
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


def _openai_content(response_format: Any) -> str:
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema") or {}
            return json.dumps(sample_instance(schema))
        if response_format.get("type") == "json_object":
            return "{}"
    return "This is a reply from the local FAKE OpenAI server."


def openai_error(
    message: str, kind: str = "invalid_request_error", code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class FakeGeminiServer(FakeProviderServer):
    """FAKE Gemini API endpoint: `POST /v1beta/models/{model}:generateContent`.

    The key must come in the `x-goog-api-key` header; a `key=` query parameter is not accepted, so
    a client that puts the key in the URL fails here.
    """

    provider = "gemini"
    _PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")
    _STATUS: ClassVar[dict[int, str]] = {
        400: "INVALID_ARGUMENT",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
        504: "DEADLINE_EXCEEDED",
    }

    def error_body(self, status: int, message: str | None = None) -> Any:
        return gemini_error(
            status,
            message or "Error (fake Gemini server).",
            self._STATUS.get(status, "UNKNOWN"),
        )

    def route(self, request: RecordedRequest) -> Reply:
        match = self._PATH.match(request.path)
        if match is None:
            return Reply(404, gemini_error(404, f"Unknown path {request.path}.", "NOT_FOUND"))
        if request.method != "POST":
            return Reply(405, gemini_error(405, "Method not allowed.", "INVALID_ARGUMENT"))
        key = (request.header("x-goog-api-key") or "").strip()
        if not key:
            return Reply(
                403,
                gemini_error(
                    403,
                    "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity to call "
                    "this API.",
                    "PERMISSION_DENIED",
                ),
            )
        if self._is_rejected(key):
            error = gemini_error(
                400,
                "API key not valid. Please pass a valid API key.",
                "INVALID_ARGUMENT",
            )
            error["error"]["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ]
            return Reply(400, error)
        body = request.body if isinstance(request.body, dict) else None
        if body is None or not isinstance(body.get("contents"), list) or not body["contents"]:
            return Reply(
                400,
                gemini_error(
                    400,
                    "* GenerateContentRequest.contents: must not be empty",
                    "INVALID_ARGUMENT",
                ),
            )
        scripted = self._take_scripted()
        if isinstance(scripted, Reply):
            return scripted
        text = _gemini_text(body.get("generationConfig") or body.get("generation_config") or {})
        finish_reason, delay = "STOP", 0.0
        if isinstance(scripted, _ContentReply):
            text = text if scripted.content is None else scripted.content
            delay = scripted.delay_seconds
            finish_reason = scripted.finish_reason or "STOP"
        prompt_tokens = _estimate_tokens(json.dumps(body.get("contents")))
        candidate_tokens = _estimate_tokens(text)
        reply = {
            "candidates": [
                {
                    "content": {"parts": [{"text": text}], "role": "model"},
                    "finishReason": finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": candidate_tokens,
                "totalTokenCount": prompt_tokens + candidate_tokens,
            },
            "modelVersion": match.group("model"),
            "responseId": f"fake-{len(self.requests):06d}",
        }
        return Reply(200, reply, (), delay)


def _gemini_text(generation_config: dict[str, Any]) -> str:
    for name in (
        "responseJsonSchema",
        "response_json_schema",
        "responseSchema",
        "response_schema",
    ):
        schema = generation_config.get(name)
        if isinstance(schema, dict):
            return json.dumps(sample_instance(schema))
    if generation_config.get("responseMimeType") == "application/json":
        return "{}"
    return "This is a reply from the local FAKE Gemini server."


def gemini_error(code: int, message: str, status: str) -> dict[str, Any]:
    """Google's error body."""
    return {"error": {"code": code, "message": message, "status": status}}
