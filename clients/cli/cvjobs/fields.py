"""Each job type's command-line options, derived from its request model in the service's registry
(cv_jobs.job_types), so a new job type or field gets its option without a change here.

A field's JSON schema decides its option: an enum takes one of its values; a text field up to
1,000 characters takes the text itself; a longer one (a CV, a job description, a section) takes a
FILE to read (`-` reads standard input); an object or a list takes a FILE holding its JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cv_jobs.job_types import JOB_TYPES, JobType

# Longer text fields are read from files: CVs and job descriptions do not belong on a command line.
LONG_TEXT = 1_000
# Friendlier names for the fields every CV job has.
ALIASES = {"cv_text": "cv", "user_cv_text": "cv"}


class Kind(StrEnum):
    TEXT = "text"
    TEXT_FILE = "text file"
    JSON_FILE = "JSON file"
    CHOICE = "choice"


@dataclass(frozen=True)
class Field:
    name: str  # the request body's field
    kind: Kind
    required: bool
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    @property
    def option(self) -> str:
        return "--" + ALIASES.get(self.name, self.name).replace("_", "-")

    @property
    def metavar(self) -> str:
        return {
            Kind.TEXT: "TEXT",
            Kind.TEXT_FILE: "FILE",
            Kind.JSON_FILE: "JSON_FILE",
            Kind.CHOICE: "CHOICE",
        }[self.kind]

    @property
    def help(self) -> str:
        what = {
            Kind.TEXT: "the text",
            Kind.TEXT_FILE: "a file with the text ('-': standard input)",
            Kind.JSON_FILE: "a file with the JSON value",
            Kind.CHOICE: "one of " + ", ".join(self.choices),
        }[self.kind]
        limit = f", at most {self.max_length:,} characters" if self.max_length else ""
        return f"{self.name}: {what}{limit}{' (required)' if self.required else ''}"

    def value(self, raw: str) -> Any:
        """The body value for the option's argument; raises ValueError with a plain sentence."""
        if self.kind in (Kind.TEXT, Kind.CHOICE):
            return raw
        text = _read(raw, self.option)
        if self.kind is Kind.TEXT_FILE:
            return text
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError(f"{self.option}: {raw} does not hold valid JSON") from None


def _read(path: str, option: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{option}: cannot read {path} ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{option}: {path} is not UTF-8 text") from None


def fields_of(job_type: JobType[Any, Any]) -> list[Field]:
    """The request model's fields as options, in the model's order."""
    schema = job_type.request_model.model_json_schema()
    required = set(schema.get("required", []))
    return [_field(name, prop, name in required) for name, prop in schema["properties"].items()]


def _field(name: str, prop: dict[str, Any], required: bool) -> Field:
    branches = [branch for branch in prop.get("anyOf", [prop]) if branch.get("type") != "null"]
    schema = branches[0] if branches else prop
    if "enum" in schema:
        return Field(name, Kind.CHOICE, required, choices=tuple(str(value) for value in schema["enum"]))
    if schema.get("type") == "string":
        max_length = schema.get("maxLength")
        long = max_length is None or max_length > LONG_TEXT
        return Field(name, Kind.TEXT_FILE if long else Kind.TEXT, required, max_length=max_length)
    return Field(name, Kind.JSON_FILE, required)


def job_types() -> tuple[JobType[Any, Any], ...]:
    return tuple(JOB_TYPES)
