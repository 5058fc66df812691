"""What a log line may say about an error that user data could be in: its type, its traceback
(frames and code lines, without the message) and, for a pydantic error, the failing locations and
error types. Never its text: pydantic's quotes the input (`input_value='…'`), and any other
exception may quote a CV, a job description or a result."""

from __future__ import annotations

import traceback
from typing import Any

from pydantic import ValidationError


def error_summary(error: BaseException) -> dict[str, Any]:
    frames = traceback.format_list(traceback.extract_tb(error.__traceback__))
    summary: dict[str, Any] = {
        "error_type": type(error).__name__,
        "traceback": "Traceback (most recent call last):\n" + "".join(frames) + type(error).__name__,
    }
    if isinstance(error, ValidationError):
        summary["problems"] = validation_problems(error)
    return summary


def validation_problems(error: ValidationError) -> list[str]:
    """Up to five `location:error_type`, without the input."""
    return [
        ".".join(str(p) for p in e["loc"]) + ":" + e["type"]
        for e in error.errors(include_input=False, include_url=False, include_context=False)[:5]
    ]
