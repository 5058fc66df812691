"""What each model family accepts: whether it reasons, which reasoning effort / thinking level values
it takes, and how many output tokens it may produce. One table, read by the worker (what to send),
the CDK app (is the configuration possible) and nothing else; a name that matches no family gets a
safe default: no effort parameter at all and a conservative output cap that every current model of
the provider accepts.

Sources (read 2026-11-26):
- OpenAI gpt-6-luna: developers.openai.com/api/docs/models/gpt-6-luna — reasoning.effort none, low,
  medium (default), high, xhigh, max; 128,000 output tokens; structured outputs on Chat Completions.
  Reasoning models reject `max_tokens` ("Use 'max_completion_tokens' instead") and any temperature
  but the default.
- Gemini: docs.cloud.google.com/gemini-enterprise-agent-platform/models/thinking (thinking_level per
  model) and the model pages: gemini-3.8-flash and 3.7-flash take LOW, MEDIUM, HIGH (MINIMAL is an
  error); 3.6-flash, 3.5-flash-lite and 3.1-flash-lite take MINIMAL..HIGH; 65,536 output tokens.
  Gemini 2.5 models take a thinking budget, not a level ("Thinking level is not supported").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from cv_jobs.credentials import Provider


class Effort(StrEnum):
    """How hard a job's model should think. Mapped per model onto the value the provider takes."""

    MINIMAL = "minimal"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# Output tokens kept for reasoning at each native level, on top of the answer's own budget: a job
# must never end truncated because thinking used up the cap. Generous on purpose; only tokens
# actually produced are billed.
REASONING_BUDGET: Mapping[str, int] = MappingProxyType(
    {
        "none": 0,
        "minimal": 1_024,
        "low": 4_096,
        "medium": 12_288,
        "high": 32_768,
        "xhigh": 65_536,
        "max": 100_000,
    }
)
# Unknown models are sent no effort: room for what they think by default (usually medium).
_DEFAULT_REASONING_BUDGET = REASONING_BUDGET["medium"]


@dataclass(frozen=True)
class ModelCapabilities:
    provider: Provider
    family: str  # the table entry that matched, for logs and error messages
    max_output_tokens: int
    # The provider's value for each effort; None: the model takes no effort setting (never sent).
    efforts: Mapping[Effort, str] | None
    # Spends output tokens on thinking even when no effort is sent.
    reasons: bool
    known: bool = True

    def native_effort(self, effort: Effort) -> str | None:
        return None if self.efforts is None else self.efforts[effort]

    def reasoning_budget(self, effort: Effort) -> int:
        native = self.native_effort(effort)
        if native is not None:
            return REASONING_BUDGET[native.lower()]
        return _DEFAULT_REASONING_BUDGET if self.reasons else 0

    def output_cap(self, answer_tokens: int, effort: Effort) -> int:
        """The output-token cap to send: the answer's budget plus room for reasoning."""
        return min(answer_tokens + self.reasoning_budget(effort), self.max_output_tokens)

    def fits(self, answer_tokens: int, effort: Effort) -> bool:
        """Whether the cap holds the whole answer budget plus reasoning, unclamped."""
        return answer_tokens + self.reasoning_budget(effort) <= self.max_output_tokens


def _levels(minimal: str, low: str, medium: str, high: str) -> Mapping[Effort, str]:
    return MappingProxyType(
        {Effort.MINIMAL: minimal, Effort.LOW: low, Effort.MEDIUM: medium, Effort.HIGH: high}
    )


_DATED = r"(-\d{4}-\d{2}-\d{2})?"  # OpenAI's dated snapshots share their family's parameters
_OPENAI, _GEMINI = Provider.OPENAI, Provider.GEMINI
# "none" is the lowest effort of luna and gpt-5.1: no reasoning at all.
_NONE_TO_HIGH = _levels("none", "low", "medium", "high")
_MINIMAL_TO_HIGH = _levels("minimal", "low", "medium", "high")
# Gemini 3.7/3.8 Flash refuse MINIMAL: the lowest level they take is LOW.
_GEMINI_LOW_TO_HIGH = _levels("LOW", "LOW", "MEDIUM", "HIGH")
_GEMINI_ALL = _levels("MINIMAL", "LOW", "MEDIUM", "HIGH")

# (pattern matched against the whole name, capabilities). First match wins.
_FAMILIES: tuple[tuple[re.Pattern[str], ModelCapabilities], ...] = tuple(
    (re.compile(pattern), capabilities)
    for pattern, capabilities in (
        (rf"gpt-6-luna{_DATED}", ModelCapabilities(_OPENAI, "gpt-6-luna", 128_000, _NONE_TO_HIGH, True)),
        (rf"gpt-5\.1{_DATED}", ModelCapabilities(_OPENAI, "gpt-5.1", 128_000, _NONE_TO_HIGH, True)),
        (
            rf"gpt-5(-mini|-nano)?{_DATED}",
            ModelCapabilities(_OPENAI, "gpt-5", 128_000, _MINIMAL_TO_HIGH, True),
        ),
        (rf"gpt-4\.1(-mini|-nano)?{_DATED}", ModelCapabilities(_OPENAI, "gpt-4.1", 32_768, None, False)),
        (rf"gpt-4o(-mini)?{_DATED}", ModelCapabilities(_OPENAI, "gpt-4o", 16_384, None, False)),
        (
            r"gemini-3\.[78]-flash",
            ModelCapabilities(_GEMINI, "gemini-3.7/3.8-flash", 65_536, _GEMINI_LOW_TO_HIGH, True),
        ),
        (
            r"gemini-3\.(6-flash|5-flash-lite|1-flash-lite)",
            ModelCapabilities(_GEMINI, "gemini-3.x-flash(-lite)", 65_536, _GEMINI_ALL, True),
        ),
        # Thinking budgets, not levels: a thinkingLevel is a 400 for these.
        (r"gemini-2\.5-(flash|flash-lite|pro)", ModelCapabilities(_GEMINI, "gemini-2.5", 65_536, None, True)),
    )
)

# Caps every current chat model of the provider accepts (gpt-4o's 16,384; Gemma's 8,192).
_UNKNOWN = {
    Provider.OPENAI: ModelCapabilities(Provider.OPENAI, "unknown", 16_384, None, True, known=False),
    Provider.GEMINI: ModelCapabilities(Provider.GEMINI, "unknown", 8_192, None, True, known=False),
}


def capabilities(provider: Provider, model: str) -> ModelCapabilities:
    for pattern, entry in _FAMILIES:
        if entry.provider is provider and pattern.fullmatch(model):
            return entry
    return _UNKNOWN[provider]
