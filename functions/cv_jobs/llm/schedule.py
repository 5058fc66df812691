"""Shutdown dates the providers have announced, as published on their deprecation pages.

The model check asks the providers first (OpenAI's models endpoint carries `shutdown_date`); this
table is the fallback where a provider's API says nothing (Gemini's models endpoint reports no
deprecation) or no key is at hand. It ages: the daily check and the providers' pages stay the truth.

Sources, read 2026-11-26:
- https://developers.openai.com/api/docs/deprecations — gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini
  snapshots shut down 2027-01-14 (replacement gpt-6-luna); gpt-5, gpt-5-mini, gpt-5-nano 2026-12-11.
- https://ai.google.dev/gemini-api/docs/deprecations — gemini-2.5-flash and gemini-2.5-pro shut down
  2026-12-01 (replacements gemini-3.5-flash-lite and gemini-3.8-flash).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from cv_jobs.credentials import Provider

_OPENAI_2027_01_14 = (
    "gpt-4o",
    "gpt-4o-2024-08-06",
    "gpt-4o-2024-11-20",
    "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini",
    "gpt-4.1-mini-2025-04-14",
)
_OPENAI_2026_12_11 = (
    "gpt-5",
    "gpt-5-2025-08-07",
    "gpt-5-mini",
    "gpt-5-mini-2025-08-07",
    "gpt-5-nano",
    "gpt-5-nano-2025-08-07",
)

KNOWN_SHUTDOWNS: Mapping[tuple[Provider, str], date] = MappingProxyType(
    {
        **{(Provider.OPENAI, model): date(2027, 1, 14) for model in _OPENAI_2027_01_14},
        **{(Provider.OPENAI, model): date(2026, 12, 11) for model in _OPENAI_2026_12_11},
        (Provider.GEMINI, "gemini-2.5-flash"): date(2026, 12, 1),
        (Provider.GEMINI, "gemini-2.5-pro"): date(2026, 12, 1),
    }
)


def known_shutdown(provider: Provider, model: str) -> date | None:
    return KNOWN_SHUTDOWNS.get((provider, model))
