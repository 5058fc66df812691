"""FAKE Gemini server (not the real provider): generateContent, answered from `answers`, and the
model info endpoints (`GET /v1beta/models[/{model}]`). What a real model would refuse is refused
with Google's own 400 body, an unknown model with its 404 (see models.py)."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from local.fakes.answers import fake_answer
from local.fakes.base import FakeProviderServer, RecordedRequest, Reply, _ContentReply, estimate_tokens
from local.fakes.fault_replies import gemini_spoil, gemini_transport_fault
from local.fakes.faults import is_transport_fault
from local.fakes.models import gemini_error, gemini_refusal, gemini_unknown_model, rules_for


class FakeGeminiServer(FakeProviderServer):
    """FAKE Gemini API endpoints: `POST /v1beta/models/{model}:generateContent` and
    `GET /v1beta/models[/{model}]`.

    The key must come in the `x-goog-api-key` header; a `key=` query parameter is not accepted, so
    a client that puts the key in the URL fails here.
    """

    provider = "gemini"
    _PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")
    _INFO_PATH = re.compile(r"^/v1beta/models(/(?P<model>[^/:]+))?/?$")
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

    def is_generation(self, request: RecordedRequest) -> bool:
        return self._PATH.match(request.path) is not None

    def route(self, request: RecordedRequest) -> Reply:
        match = self._PATH.match(request.path)
        info = self._INFO_PATH.match(request.path) if match is None else None
        if match is None and info is None:
            return Reply(404, gemini_error(404, f"Unknown path {request.path}.", "NOT_FOUND"))
        if request.method != ("GET" if info else "POST"):
            return Reply(405, gemini_error(405, "Method not allowed.", "INVALID_ARGUMENT"))
        refused = self._refused_key(request)
        if refused is not None:
            return refused
        if info is not None:
            return self._model_info(info.group("model"))
        assert match is not None
        model = match.group("model")
        if not self.serves(model):
            return Reply(*gemini_unknown_model(model))
        return self._generate(request, model)

    def _refused_key(self, request: RecordedRequest) -> Reply | None:
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
        return None

    def _model_info(self, model: str | None) -> Reply:
        served = self.served_models()
        if model is None:
            return Reply(200, {"models": [_model_resource(name) for name in served]})
        if model not in served:
            return Reply(*gemini_unknown_model(model, method="get"))
        return Reply(200, _model_resource(model))

    def _generate(self, request: RecordedRequest, model: str) -> Reply:
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
        config = body.get("generationConfig") or body.get("generation_config") or {}
        rules = rules_for("gemini", model)
        refusal = gemini_refusal(rules, config)
        if refusal is not None:
            return Reply(*refusal)
        scripted = self._take_scripted()
        if isinstance(scripted, Reply):
            return scripted
        fault = self._draw_fault() if scripted is None else None
        if fault is not None and is_transport_fault(fault):
            status = int(fault) if fault.isdigit() else 500
            return gemini_transport_fault(fault, self.dice, model, self.error_body(status))
        text = _gemini_text(config, body)
        finish_reason, delay = "STOP", 0.0
        if isinstance(scripted, _ContentReply):
            text = text if scripted.content is None else scripted.content
            delay = scripted.delay_seconds
            finish_reason = scripted.finish_reason or "STOP"
        thinking = config.get("thinkingConfig") or {}
        thoughts = rules.reasoning_tokens(thinking.get("thinkingLevel"))
        cap = config.get("maxOutputTokens")
        parts: list[dict[str, Any]] = [{"text": text}]
        if finish_reason == "STOP" and isinstance(cap, int) and thoughts + estimate_tokens(text) > cap:
            # Thoughts count against maxOutputTokens: when they use it up, no answer is left.
            parts, finish_reason, thoughts = [], "MAX_TOKENS", min(thoughts, cap)
        prompt_tokens = estimate_tokens(json.dumps(body.get("contents")))
        candidate_tokens = estimate_tokens(text) if parts else 0
        reply = {
            "candidates": [
                {
                    "content": {"parts": parts, "role": "model"},
                    "finishReason": finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": candidate_tokens,
                "thoughtsTokenCount": thoughts,
                "totalTokenCount": prompt_tokens + candidate_tokens + thoughts,
            },
            "modelVersion": model,
            "responseId": f"fake-{len(self.requests):06d}",
        }
        if fault is not None:
            gemini_spoil(fault, self.dice, reply)
        return Reply(200, reply, (), delay, outcome=fault)


def _gemini_text(generation_config: dict[str, Any], body: dict[str, Any]) -> str:
    for name in (
        "responseJsonSchema",
        "response_json_schema",
        "responseSchema",
        "response_schema",
    ):
        schema = generation_config.get(name)
        if isinstance(schema, dict):
            system = _parts_text(body.get("systemInstruction") or body.get("system_instruction"))
            user = "\n".join(_parts_text(content) for content in body["contents"])
            return json.dumps(fake_answer(schema, system=system, user=user))
    if generation_config.get("responseMimeType") == "application/json":
        return "{}"
    return "This is a reply from the local FAKE Gemini server."


def _parts_text(content: Any) -> str:
    if not isinstance(content, dict):
        return ""
    return "\n".join(
        str(part.get("text", "")) for part in content.get("parts") or [] if isinstance(part, dict)
    )


def _model_resource(model: str) -> dict[str, Any]:
    # Gemini's Model resource; it carries no deprecation or shutdown information.
    rules = rules_for("gemini", model)
    return {
        "name": f"models/{model}",
        "baseModelId": model,
        "version": "fake",
        "displayName": f"{model} (FAKE)",
        "description": "A model of the local FAKE Gemini server.",
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": rules.max_output_tokens,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        "thinking": rules.reasoning,
    }


__all__ = ["FakeGeminiServer", "gemini_error"]
