"""Turns a Pydantic output model into the JSON schema sent to the providers.

OpenAI's strict mode and Gemini's `responseJsonSchema` both accept a plain, closed schema: every
property required (optional ones are nullable), no extra properties, no `$ref`s. Length and range
constraints stay in Pydantic, which validates the answer.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

_DROPPED_KEYWORDS = frozenset(
    {
        "title",
        "default",
        "examples",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
    }
)


@cache  # per output model, once per process; callers must not mutate the schema
def provider_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return _close(_inline(schema, definitions))


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    inlined: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            # Property names are data, not keywords: a field called "title" stays.
            inlined[key] = {name: _inline(sub, definitions) for name, sub in value.items()}
        elif key not in _DROPPED_KEYWORDS:
            inlined[key] = _inline(value, definitions)
    return inlined


def _close(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _close(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_close(item) for item in node]
    return node
