"""What the FAKE providers know about models: which names they serve by default and what each model
accepts, refused the way the real APIs refuse it (status and error body as the providers send them).

Kept apart from the worker's own table (cv_jobs/llm/capabilities.py) on purpose: the fakes encode
what the providers document, so a wrong entry in the worker's table shows up as a refused call in the
tests instead of being agreed with.

Real behaviour encoded here (provider pages and the providers' own error bodies, read 2026-11-26):
- OpenAI reasoning models refuse `max_tokens` (400 unsupported_parameter, "Use
  'max_completion_tokens' instead"), any `temperature` but 1 (400 unsupported_value) and a
  reasoning_effort they do not list (400 unsupported_value); models without reasoning refuse
  `reasoning_effort` (400 unsupported_parameter); an unknown model is a 404 model_not_found.
- Gemini 3.7/3.8 Flash refuse thinkingLevel MINIMAL; 2.5 models refuse any thinkingLevel; a level
  and a budget together are refused; 3.5 Flash-Lite refuses penalties (400 INVALID_ARGUMENT); an
  unknown model is a 404 NOT_FOUND. Thinking and reasoning tokens count against the output cap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"

# Served by every fake as well: the unit tests' configuration uses these names.
TEST_MODELS: Mapping[str, tuple[str, ...]] = {"openai": ("gpt-test",), "gemini": ("gemini-test",)}

# Tokens a fake model "thinks" at each level before answering (lower-cased level names).
SIMULATED_REASONING_TOKENS: Mapping[str, int] = {
    "none": 0,
    "minimal": 24,
    "low": 300,
    "medium": 1_200,
    "high": 4_000,
    "xhigh": 9_000,
    "max": 20_000,
}


@dataclass(frozen=True)
class ModelRules:
    reasoning: bool
    efforts: tuple[str, ...]  # accepted effort / thinking-level values; () refuses the parameter
    default_effort: str | None  # what the model thinks at when none is sent
    max_output_tokens: int
    penalties: bool = True  # Gemini: frequencyPenalty / presencePenalty accepted

    def reasoning_tokens(self, effort: str | None) -> int:
        if not self.reasoning:
            return 0
        level = (effort or self.default_effort or "medium").lower()
        return SIMULATED_REASONING_TOKENS.get(level, SIMULATED_REASONING_TOKENS["medium"])


_GPT5_EFFORTS = ("minimal", "low", "medium", "high")
_LUNA = ModelRules(True, ("none", "low", "medium", "high", "xhigh", "max"), "medium", 128_000)
_OPENAI_RULES: tuple[tuple[str, ModelRules], ...] = (
    (r"gpt-6-.*", _LUNA),
    (r"gpt-5\.1.*", ModelRules(True, ("none", "low", "medium", "high"), "none", 128_000)),
    (r"gpt-5(-mini|-nano)?(-\d{4}-\d{2}-\d{2})?", ModelRules(True, _GPT5_EFFORTS, "medium", 128_000)),
    (r"gpt-4\.1.*", ModelRules(False, (), None, 32_768)),
    (r"gpt-4o.*", ModelRules(False, (), None, 16_384)),
)  # fmt: skip
_ALL_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")
_GEMINI_RULES: tuple[tuple[str, ModelRules], ...] = (
    (r"gemini-3\.[78]-flash", ModelRules(True, ("LOW", "MEDIUM", "HIGH"), "MEDIUM", 65_536)),
    (r"gemini-3\.6-flash", ModelRules(True, _ALL_LEVELS, "MEDIUM", 65_536)),
    (r"gemini-3\.5-flash-lite", ModelRules(True, _ALL_LEVELS, "MINIMAL", 65_536, penalties=False)),
    (r"gemini-3\.1-flash-lite", ModelRules(True, _ALL_LEVELS, "MINIMAL", 65_536)),
    (r"gemini-2\.5-.*", ModelRules(True, (), "medium", 65_536)),  # thinking budgets, not levels
)
# Names the fakes know nothing particular about behave like a current model of the provider.
_DEFAULT = {"openai": _LUNA, "gemini": ModelRules(True, _ALL_LEVELS, "MEDIUM", 65_536)}


def rules_for(provider: str, model: str) -> ModelRules:
    table = _OPENAI_RULES if provider == "openai" else _GEMINI_RULES
    for pattern, rules in table:
        if re.fullmatch(pattern, model):
            return rules
    return _DEFAULT[provider]


def default_served_models(provider: str, cdk_json: Path = CDK_JSON) -> set[str]:
    """Every model some environment in cdk.json configures for `provider`, plus the test models."""
    key = "openaiModel" if provider == "openai" else "geminiModel"
    environments = json.loads(cdk_json.read_text(encoding="utf-8"))["context"]["environments"]
    served = set(TEST_MODELS[provider])
    for environment in environments.values():
        served.add(environment[key])
        served.update(job[key] for job in (environment.get("jobSettings") or {}).values() if job.get(key))
    return served


# --- refusals, as (status, body) --------------------------------------------------------------


def openai_error(message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> dict[str, Any]:  # fmt: skip
    """OpenAI's error body."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def gemini_error(code: int, message: str, status: str) -> dict[str, Any]:
    """Google's error body."""
    return {"error": {"code": code, "message": message, "status": status}}


def openai_unknown_model(model: str) -> tuple[int, dict[str, Any]]:
    return 404, openai_error(
        f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
    )


def openai_refusal(rules: ModelRules, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """Why OpenAI would refuse this Chat Completions body for a model with these rules, if it would."""
    if rules.reasoning and "max_tokens" in body:
        return 400, openai_error(
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            code="unsupported_parameter",
            param="max_tokens",
        )
    temperature = body.get("temperature")
    if rules.reasoning and temperature is not None and temperature != 1:
        return 400, openai_error(
            f"Unsupported value: 'temperature' does not support {temperature} with this model. "
            "Only the default (1) value is supported.",
            code="unsupported_value",
            param="temperature",
        )
    effort = body.get("reasoning_effort")
    if effort is not None and not rules.efforts:
        return 400, openai_error(
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            code="unsupported_parameter",
            param="reasoning_effort",
        )
    if effort is not None and effort not in rules.efforts:
        listed = ", ".join(f"'{value}'" for value in rules.efforts[:-1])
        return 400, openai_error(
            f"Unsupported value: 'reasoning_effort' does not support '{effort}' with this model. "
            f"Supported values are: {listed}, and '{rules.efforts[-1]}'.",
            code="unsupported_value",
            param="reasoning_effort",
        )
    cap = body.get("max_completion_tokens")
    if isinstance(cap, int) and cap > rules.max_output_tokens:
        return 400, openai_error(
            f"max_completion_tokens is too large: {cap}. This model supports at most "
            f"{rules.max_output_tokens} completion tokens, whereas you provided {cap}.",
            code="invalid_value",
            param="max_completion_tokens",
        )
    return None


def gemini_unknown_model(model: str, method: str = "generateContent") -> tuple[int, dict[str, Any]]:
    return 404, gemini_error(
        404,
        f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
        "Call ListModels to see the list of available models and their supported methods.",
        "NOT_FOUND",
    )


def gemini_refusal(rules: ModelRules, config: Mapping[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """Why Gemini would refuse this generationConfig for a model with these rules, if it would."""
    thinking = config.get("thinkingConfig") or config.get("thinking_config") or {}
    level = thinking.get("thinkingLevel") or thinking.get("thinking_level")
    budget = thinking.get("thinkingBudget", thinking.get("thinking_budget"))
    if level is not None and budget is not None:
        return _invalid("You can only set only one of thinking budget and thinking level.")
    if level is not None and not rules.efforts:
        return _invalid("Thinking level is not supported for this model.")
    if level is not None and str(level).upper() not in rules.efforts:
        return _invalid(
            f"Thinking level {str(level).upper()} is not supported for this model. "
            "Please retry with other thinking level."
        )
    if not rules.penalties and any(
        config.get(name) not in (None, 0) for name in ("frequencyPenalty", "presencePenalty")
    ):
        return _invalid("Penalty is not enabled for this model.")
    cap = config.get("maxOutputTokens")
    if isinstance(cap, int) and not 1 <= cap <= rules.max_output_tokens:
        return _invalid(
            f"Unable to submit request because it has a maxOutputTokens value of {cap} but the "
            f"supported range is from 1 (inclusive) to {rules.max_output_tokens + 1} (exclusive). "
            "Update the value and try again."
        )
    return None


def _invalid(message: str) -> tuple[int, dict[str, Any]]:
    return 400, gemini_error(400, message, "INVALID_ARGUMENT")
