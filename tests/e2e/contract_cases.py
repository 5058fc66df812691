"""Request-contract cases derived from each job type's request model (its JSON schema), and the check
every 422 must pass: the field paths named, our own messages, never the submitted value.

Deriving the cases from the registry means a new job type, or a new field, is covered without
editing the tests: required fields, strings with a maximum length (also inside lists), lists with a
maximum number of entries, enumerations, and free-form JSON objects (size and depth limits).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from cv_jobs.job_types import JobType

# Deeper and larger than any JSON-object field allows, yet within the api's body limit.
TOO_DEEP_LEVELS = 40
TOO_LARGE_CHARS = 200_000


def canary() -> str:
    """A unique string to hide in a refused value: it must never come back in the response."""
    return f"canary-value-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class FieldLimits:
    """What the request model's JSON schema says about one top-level field."""

    name: str
    required: bool
    max_length: int | None  # of the string, or of each string in the list
    is_string_list: bool
    max_items: int | None
    enum: tuple[Any, ...]
    free_object: bool  # a JSON object of the client's own keys (cv_json, cv_data, persona_feedback)


def field_limits(job_type: JobType[Any, Any]) -> list[FieldLimits]:
    schema = job_type.request_model.model_json_schema()
    required = set(schema.get("required", []))
    limits = []
    for name, prop in schema["properties"].items():
        # Optional fields are `anyOf: [<the type>, {"type": "null"}]`.
        variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
        (variant,) = variants
        items = variant.get("items") or {}
        is_string_list = variant.get("type") == "array" and items.get("type") == "string"
        limits.append(
            FieldLimits(
                name=name,
                required=name in required,
                max_length=(items if is_string_list else variant).get("maxLength"),
                is_string_list=is_string_list,
                max_items=variant.get("maxItems"),
                enum=tuple(variant.get("enum", ())),
                free_object=variant.get("type") == "object" and variant.get("additionalProperties") is True,
            )
        )
    return limits


def over_long_text(max_length: int, secret: str) -> str:
    """Words (so no word-count rule fires first) one character over `max_length`, holding `secret`."""
    text = f"{secret} " + "lorem ipsum dolor sit amet " * (max_length // 27 + 2)
    text = text[: max_length + 1]
    return text if not text.endswith(" ") else text[:-1] + "x"


def too_deep_object(secret: str) -> dict[str, Any]:
    node: dict[str, Any] = {"note": secret}
    for _ in range(TOO_DEEP_LEVELS):
        node = {"section": node}
    return node


def too_large_object(secret: str) -> dict[str, Any]:
    return {"notes": [f"{secret} " + "x" * 1_000 for _ in range(TOO_LARGE_CHARS // 1_000)]}


def assert_refused(response: httpx.Response, field: str, *, secret: str | None = None) -> dict[str, Any]:
    """A 422 in the error shape naming `field`, in our own words, without `secret`."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "validation_error", body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    named = [problem["field"] for problem in body["fields"]]
    assert field in named, f"{field!r} not among {named}"
    for problem in body["fields"]:
        assert problem["message"], problem
        assert not problem["message"].startswith("Value error"), problem
    assert "Value error" not in body["detail"]
    if secret is not None:
        assert secret not in response.text, "the refused value came back in the response"
    return dict(body)
