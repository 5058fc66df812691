"""FAKE OpenAI server (not the real provider): Chat Completions, answered from `answers`, and the
models endpoints (`GET /v1/models`, `GET /v1/models/{model}`, with `shutdown_date`). Parameters a
real model would refuse are refused with OpenAI's own 400 body (see models.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
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
from local.fakes.fault_replies import openai_spoil, openai_transport_fault
from local.fakes.faults import FaultPlan, is_transport_fault
from local.fakes.models import openai_error, openai_refusal, openai_unknown_model, rules_for

# When the fake's models "were created" (model objects carry a creation time).
_CREATED = 1_758_499_200


class FakeOpenAIServer(FakeProviderServer):
    """FAKE OpenAI endpoints: `POST /v1/chat/completions`, `GET /v1/models[/{model}]`.

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

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        models: Iterable[str] | None = None,
        faults: FaultPlan | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(host, port, models=models, faults=faults, seed=seed)
        self._counter = 0

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def error_body(self, status: int, message: str | None = None) -> Any:
        kind, code, default = self._ERRORS.get(status, ("server_error", None, "Error."))
        return openai_error(message or default, kind, code)

    def is_generation(self, request: RecordedRequest) -> bool:
        return request.path.rstrip("/") == "/v1/chat/completions"

    def route(self, request: RecordedRequest) -> Reply:
        path = request.path.rstrip("/")
        models_path = path == "/v1/models" or path.startswith("/v1/models/")
        if path != "/v1/chat/completions" and not models_path:
            return Reply(404, openai_error(f"Unknown request URL: {request.path}.", code=None))
        if request.method != ("GET" if models_path else "POST"):
            return Reply(405, openai_error("Method not allowed.", code=None))
        refused = self._refused_key(request)
        if refused is not None:
            return refused
        if models_path:
            return self._model_info(path.removeprefix("/v1/models").strip("/"))
        body = request.body if isinstance(request.body, dict) else None
        if body is None or not body.get("model") or not isinstance(body.get("messages"), list):
            return Reply(400, openai_error("'model' and 'messages' are required.", code=None))
        if body.get("stream"):
            return Reply(400, openai_error("Streaming is not supported by the fake.", code=None))
        model = str(body["model"])
        if not self.serves(model):
            return Reply(*openai_unknown_model(model))
        rules = rules_for("openai", model)
        refusal = openai_refusal(rules, body)
        if refusal is not None:
            return Reply(*refusal)
        scripted = self._take_scripted()
        if isinstance(scripted, Reply):
            return scripted
        fault = self._draw_fault() if scripted is None else None
        if fault is not None and is_transport_fault(fault):
            status = int(fault) if fault.isdigit() else 500
            return openai_transport_fault(fault, self.dice, model, self.error_body(status))
        content = _openai_content(body.get("response_format"), body["messages"])
        finish_reason, delay = "stop", 0.0
        reasoning = rules.reasoning_tokens(body.get("reasoning_effort"))
        if isinstance(scripted, _ContentReply):
            content = content if scripted.content is None else scripted.content
            delay = scripted.delay_seconds
            finish_reason = scripted.finish_reason or "stop"
        cap = body.get("max_completion_tokens")
        if finish_reason == "stop" and isinstance(cap, int) and reasoning + estimate_tokens(content) > cap:
            # As the real API does: reasoning and answer share the cap; when it runs out, the
            # answer is cut (here: nothing of it is left) and finish_reason says why.
            content, finish_reason, reasoning = "", "length", min(reasoning, cap)
        completion = self._completion(body, content, finish_reason, reasoning)
        if fault is not None:
            openai_spoil(fault, self.dice, completion)
        return Reply(200, completion, (("x-request-id", f"req_fake_{self._counter}"),), delay, outcome=fault)

    def _refused_key(self, request: RecordedRequest) -> Reply | None:
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
        return None

    def _model_info(self, model: str) -> Reply:
        served = self.served_models()
        if not model:
            return Reply(200, {"object": "list", "data": [_model_object(n, d) for n, d in served.items()]})
        if model not in served:
            return Reply(*openai_unknown_model(model))
        return Reply(200, _model_object(model, served[model]))

    def _completion(
        self, body: dict[str, Any], content: str, finish_reason: str, reasoning_tokens: int
    ) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            number = self._counter
        prompt_tokens = estimate_tokens(json.dumps(body.get("messages")))
        # Like the real API: completion_tokens includes the reasoning tokens.
        completion_tokens = (estimate_tokens(content) if content else 0) + reasoning_tokens
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
                "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
            },
        }


def _model_object(model: str, shutdown_date: str | None) -> dict[str, Any]:
    # shutdown_date: YYYY-MM-DD once a shutdown is announced, else null (as the real API reports).
    return {
        "id": model,
        "object": "model",
        "created": _CREATED,
        "owned_by": "system",
        "shutdown_date": shutdown_date,
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


__all__ = ["FakeOpenAIServer", "openai_error"]
