"""Validating JSON against a component schema of the OpenAPI document, as a client generated from it
would expect it (OpenAPI 3.1's JSON Schema dialect, formats checked)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS31Validator

from cv_jobs.api.openapi import openapi_document

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED_DOCUMENT = REPO_ROOT / "docs" / "openapi.json"


@cache
def document() -> dict[str, Any]:
    """Built once per test process; tests must not mutate it."""
    return openapi_document()


def validator(schema_name: str) -> OAS31Validator:
    components = document()["components"]
    assert schema_name in components["schemas"], f"no schema {schema_name!r} in the document"
    return OAS31Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": components},
        format_checker=OAS31Validator.FORMAT_CHECKER,
    )


def problems(schema_name: str, instance: Any) -> list[str]:
    """Why `instance` does not fit the schema: empty when it does."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator(schema_name).iter_errors(instance)
    ]
