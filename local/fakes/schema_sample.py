"""A deterministic example instance for a JSON schema, used by the fake LLM providers.

It covers what structured-output schemas contain in practice: OpenAI's strict JSON schema (every
property required, nullable fields as `anyOf [..., null]`, `$defs` references) and Gemini's
`responseJsonSchema` / OpenAPI-style `responseSchema` (upper-case types, `nullable`). Strings are
plausible for a CV (an email for `email`, `2021-03` for a date) so demos read naturally, and the same
schema always yields the same instance.
"""

from __future__ import annotations

from typing import Any

_MAX_REF_DEPTH = 6

# Property-name fragments → plausible strings, checked in order (first match wins).
_STRING_BY_NAME: tuple[tuple[tuple[str, ...], str], ...] = (
    (("email", "e_mail", "mail"), "maya.example@example.com"),
    (("phone", "mobile", "telephone"), "+46 70 555 01 23"),
    (("linkedin",), "https://linkedin.com/in/example"),
    (("github",), "https://github.com/example"),
    (("url", "link", "website", "homepage"), "https://example.com"),
    (("date", "since", "until", "period"), "2021-03"),
    (("first_name", "firstname", "given"), "Maya"),
    (("last_name", "lastname", "surname", "family"), "Lindqvist"),
    (("full_name", "fullname", "candidate"), "Maya Lindqvist"),
    (("company", "employer", "organization", "organisation"), "Fjordpay AB"),
    (("institution", "school", "university"), "KTH Royal Institute of Technology"),
    (("degree",), "MSc Computer Science"),
    (("title", "position", "role", "headline"), "Senior Backend Engineer"),
    (("city", "location", "address", "country"), "Stockholm, Sweden"),
    (("language",), "English"),
    (("level", "proficiency"), "Fluent"),
    (("skill", "keyword", "technology", "tool"), "Python"),
    (("name",), "Maya Lindqvist"),
    (
        ("summary", "profile", "about", "objective"),
        "Backend engineer with 8 years of experience.",
    ),
    (
        ("feedback", "reason", "explanation", "rationale", "comment"),
        "Clear, relevant and concise.",
    ),
    (
        ("description", "content", "text", "bullet", "achievement", "highlight"),
        "Led a migration.",
    ),
    (("gpa", "grade"), "4.6/5"),
)


def sample_instance(schema: dict[str, Any]) -> Any:
    """Return an instance that validates against `schema` (for the features listed above)."""
    return _Sampler(schema).sample(schema, name="", depth=0)


class _Sampler:
    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root

    def sample(self, schema: Any, *, name: str, depth: int) -> Any:
        if not isinstance(schema, dict) or not schema:
            return _string_for(name, {})
        if "$ref" in schema:
            if depth >= _MAX_REF_DEPTH:
                return None
            return self.sample(self._resolve(schema["$ref"]), name=name, depth=depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return next(
                (value for value in schema["enum"] if value is not None),
                schema["enum"][0],
            )
        for combiner in ("anyOf", "oneOf"):
            if schema.get(combiner):
                return self.sample(_first_non_null(schema[combiner]), name=name, depth=depth)
        if schema.get("allOf"):
            return self.sample(_merge(schema["allOf"]), name=name, depth=depth)
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "string":
            return _string_for(name, schema)
        if kind == "integer":
            return int(_number_for(name, schema, integer=True))
        if kind == "number":
            return _number_for(name, schema, integer=False)
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return _string_for(name, schema)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        node: Any = self._root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        ordering = schema.get("propertyOrdering") or list(properties)
        names = [n for n in ordering if n in properties] + [n for n in properties if n not in ordering]
        instance = {name: self.sample(properties[name], name=name, depth=depth) for name in names}
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict):
            instance["example"] = self.sample(extra, name="example", depth=depth)
        return instance

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        count = max(1, int(schema.get("minItems", 1)))
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        prefix = schema.get("prefixItems") or []
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        singular = name.removesuffix("s")
        values = [self.sample(item, name=singular, depth=depth) for item in prefix[:count]]
        values += [self.sample(items, name=singular, depth=depth) for _ in range(count - len(values))]
        if schema.get("uniqueItems"):
            values = [f"{v} {i + 1}" if isinstance(v, str) and i else v for i, v in enumerate(values)]
        return values


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), kind[0] if kind else None)
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        return None
    return str(kind).lower()  # Gemini's OpenAPI-style schemas use upper-case type names.


def _is_null(option: Any) -> bool:
    return isinstance(option, dict) and str(option.get("type", "")).lower() == "null"


def _first_non_null(options: list[Any]) -> Any:
    return next((option for option in options if not _is_null(option)), options[0])


def _merge(parts: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            elif key == "required":
                merged.setdefault("required", []).extend(value)
            else:
                merged.setdefault(key, value)
    return merged


def _string_for(name: str, schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        value = "2021-03-01"
    elif fmt == "date-time":
        value = "2021-03-01T09:00:00Z"
    elif fmt == "email":
        value = "maya.example@example.com"
    elif fmt in ("uri", "url"):
        value = "https://example.com"
    elif fmt == "uuid":
        value = "00000000-0000-4000-8000-000000000000"
    else:
        lowered = name.lower()
        value = next(
            (text for fragments, text in _STRING_BY_NAME if any(f in lowered for f in fragments)),
            f"Example {name.replace('_', ' ')}".strip() if name else "Example text",
        )
    min_length = int(schema.get("minLength", 0))
    if len(value) < min_length:
        value = value + "x" * (min_length - len(value))
    if "maxLength" in schema:
        value = value[: int(schema["maxLength"])]
    return value


def _number_for(name: str, schema: dict[str, Any], *, integer: bool) -> float:
    lowered = name.lower()
    if "year" in lowered:
        value: float = 2021
    elif "month" in lowered:
        value = 3
    elif "day" in lowered:
        value = 1
    elif any(word in lowered for word in ("score", "rating", "match", "percent")):
        value = 75
    else:
        value = 1
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema else 0)
    if high is not None and value >= high:
        value = high - (1 if "exclusiveMaximum" in schema else 0)
        if low is not None and value < low:  # a narrow exclusive range such as (0, 1)
            value = (low + high) / 2
    return int(value) if integer else float(value)
