"""Providers, API keys and who pays for a job: the user (BYOK) or the operator (system key)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Provider(StrEnum):
    OPENAI = "openai"
    GEMINI = "gemini"


class CredentialSource(StrEnum):
    USER = "user"
    SYSTEM = "system"


class ApiKey:
    """An API key that cannot leak by accident: its repr and str show only its length."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"ApiKey(length={len(self._value)})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("API keys are not picklable")


@dataclass(frozen=True)
class CredentialRequest:
    """What the request asked for. `api_key` is None on the system path."""

    provider: Provider
    source: CredentialSource
    api_key: ApiKey | None = None
