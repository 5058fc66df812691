"""What the runner asks of a provider, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class LlmRequest:
    system_prompt: str
    user_prompt: str
    schema_name: str
    schema: dict[str, Any]
    timeout_seconds: float


@dataclass(frozen=True)
class LlmReply:
    data: Any  # the parsed JSON the model produced; validated by the job type's output model
    model: str
    usage: dict[str, int] = field(default_factory=dict)


class ProviderClient(Protocol):
    def generate(self, request: LlmRequest) -> LlmReply: ...
