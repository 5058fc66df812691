"""FAKE Gemini generateContent server (not the real provider); answers come from `answers`."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from local.fakes.answers import fake_answer
from local.fakes.base import FakeProviderServer, RecordedRequest, Reply, _ContentReply, estimate_tokens


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
        text = _gemini_text(body.get("generationConfig") or body.get("generation_config") or {}, body)
        finish_reason, delay = "STOP", 0.0
        if isinstance(scripted, _ContentReply):
            text = text if scripted.content is None else scripted.content
            delay = scripted.delay_seconds
            finish_reason = scripted.finish_reason or "STOP"
        prompt_tokens = estimate_tokens(json.dumps(body.get("contents")))
        candidate_tokens = estimate_tokens(text)
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


def gemini_error(code: int, message: str, status: str) -> dict[str, Any]:
    """Google's error body."""
    return {"error": {"code": code, "message": message, "status": status}}
