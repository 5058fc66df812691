"""A request body against its job type's model: 400 when it is not a JSON object, 422 with field paths
and our own messages when it does not fit. Neither ever repeats what was submitted."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cv_jobs.errors import InvalidJson, RequestValidationFailed
from cv_jobs.job_types import JobType

# Pydantic's error types → our sentences ({…} filled from the error's context: limits, choices).
_MESSAGES = {
    "missing": "Required.",
    "string_type": "Must be a string.",
    "string_too_long": "Must be at most {max_length} characters.",
    "dict_type": "Must be a JSON object.",
    "list_type": "Must be a list.",
    "too_short": "Must have at least {min_length} entries.",
    "too_long": "Must have at most {max_length} entries.",
    "literal_error": "Must be one of {expected}.",
    "int_type": "Must be a whole number.",
    "int_parsing": "Must be a whole number.",
    "int_from_float": "Must be a whole number.",
    "greater_than_equal": "Must be at least {ge}.",
    "less_than_equal": "Must be at most {le}.",
    "bool_type": "Must be true or false.",
    "model_type": "Must be a JSON object.",
}
_SHORT_FIELD_PART = re.compile(r"^\d{1,3}$")
# Half of a UTF-16 surrogate pair, as an escape (\uD800-\uDFFF: fine only when its other half
# follows) or as a character the event already carried. Bodies without one (nearly all) skip the check.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|[\ud800-\udfff]")


def body_text(body: str | None, base64_encoded: bool | None) -> str | None:
    """The body as text. API Gateway base64-encodes a body it does not take for text; bytes that are
    not UTF-8 cannot be JSON (RFC 8259), so they are refused as such, not left to crash later."""
    if not body or not base64_encoded:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidJson(
            "The request body is not UTF-8 JSON.", detail="Send a JSON object in UTF-8."
        ) from None


def validate_body(job_type: JobType[Any, Any], body: str | None) -> BaseModel:
    try:
        document = json.loads(body or "", parse_constant=_not_a_json_number)
    # RecursionError: nested deeper than the parser follows, which no request of ours needs.
    except (ValueError, RecursionError):
        raise InvalidJson("The request body is not valid JSON.", detail="Send a JSON object.") from None
    if body and _SURROGATE.search(body) and not _is_unicode(document):
        raise InvalidJson(
            "The request body is not valid JSON: it escapes half of a UTF-16 surrogate pair.",
            detail="Send text as UTF-8, or escape characters beyond U+FFFF as a complete pair.",
        )
    if not isinstance(document, dict):
        raise InvalidJson("The request body must be a JSON object.")
    try:
        # Pydantic itself, not Powertools' parser: importing the parser (its envelopes and event
        # models) cost the api's cold start about 60 ms for the same validation.
        return job_type.request_model.model_validate(document)
    except ValidationError as error:
        raise _refusal(job_type, error) from None


def _not_a_json_number(constant: str) -> Any:
    # Python's parser takes NaN, Infinity and -Infinity; RFC 8259 has no such numbers and the jobs
    # table cannot store them, so the body is refused as what it is: not JSON.
    raise ValueError(f"{constant} is not a JSON number")


def _is_unicode(document: Any) -> bool:
    """False when the parsed text holds an unpaired surrogate (from an escape such as \\ud800): such
    text is not Unicode (I-JSON, RFC 7493), cannot be encoded as UTF-8 and so cannot be stored."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refusal(job_type: JobType[Any, Any], error: ValidationError) -> RequestValidationFailed:
    known = _field_names(job_type.request_model)
    problems = [
        {
            "field": _path(item, known),
            "message": _message(item),
            "type": item["type"],
        }
        for item in error.errors(include_input=False, include_url=False)
    ]
    return RequestValidationFailed(
        f"The request body does not fit the {job_type.path} job.",
        detail="; ".join(f"{p['field']}: {p['message']}" for p in problems),
        fields=problems,
    )


def _message(item: ErrorDetails) -> str:
    context = item.get("ctx") or {}
    kind = item["type"]
    if kind == "string_too_short":
        minimum = context.get("min_length", 1)
        return "Must not be empty." if minimum == 1 else f"Must be at least {minimum} characters."
    template = _MESSAGES.get(kind)
    if template is not None:
        try:
            return template.format(**context)
        except (KeyError, IndexError):
            pass
    # Our own validators raise PydanticCustomError, whose message is ours already; a plain
    # ValueError would carry Pydantic's "Value error, " prefix.
    return str(item["msg"]).removeprefix("Value error, ")


def _path(item: ErrorDetails, known: frozenset[str]) -> str:
    """The field's path. A dict key is what the client sent, so one we do not know is shown as *."""
    parts = []
    for part in item["loc"]:
        if isinstance(part, int) or part in known or _SHORT_FIELD_PART.match(part):
            parts.append(str(part))
        elif part == "[key]":
            parts.append("(key)")
        else:
            parts.append("*")
    return ".".join(parts) or "body"


def _field_names(model: type[BaseModel]) -> frozenset[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(name)
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                names |= _field_names(candidate)
    return frozenset(names)
