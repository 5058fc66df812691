"""The small builders the OpenAPI component modules share (openapi_jobs.py, openapi_errors.py,
openapi_parameters.py): `$ref`s, nullable schemas, objects and string enums."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def schema_ref(name: str) -> dict[str, str]:
    return ref("schemas", name)


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


def object_schema(
    properties: dict[str, Any], *, required: Iterable[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
        **extra,
    }


def string_enum(values: Iterable[str], description: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}
