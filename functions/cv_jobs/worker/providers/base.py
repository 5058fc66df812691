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
    # From the job type's call plan (cv_jobs.llm): None leaves the client's default / sends nothing.
    model: str | None = None
    max_output_tokens: int | None = None
    # The provider's own value (OpenAI reasoning_effort, Gemini thinkingLevel), sent only when set:
    # the plan leaves it None for models that refuse the parameter.
    effort: str | None = None


@dataclass(frozen=True)
class LlmReply:
    data: Any  # the parsed JSON the model produced; validated by the job type's output model
    model: str
    # input_tokens, output_tokens (everything billed as output, reasoning included),
    # reasoning_tokens (the part of output_tokens spent thinking), total_tokens.
    usage: dict[str, int] = field(default_factory=dict)


class ProviderClient(Protocol):
    def generate(self, request: LlmRequest) -> LlmReply: ...
