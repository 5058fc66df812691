"""Checks every model an environment configures and reports what needs attention: one warning log
line per such model (provider, model, state, shutdown date, environment) and the metrics the stack
alarms on. Used by the scheduled Lambda and by the local command alike."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.model_check.lookup import OPENAI_DEFAULT_BASE_URL, ModelState, ModelStatus, look_up
from cv_jobs.observability import logger, metrics
from cv_jobs.settings import ModelCheckSettings


def check_models(
    settings: ModelCheckSettings, keys: Mapping[Provider, ApiKey | None], *, today: date
) -> list[ModelStatus]:
    base_urls = {
        Provider.OPENAI: settings.openai_base_url or OPENAI_DEFAULT_BASE_URL,
        Provider.GEMINI: settings.gemini_base_url,
    }
    return [
        look_up(
            provider,
            model,
            api_key=keys.get(provider),
            base_url=base_urls[provider],
            today=today,
            warning_days=settings.warning_days,
        )
        for provider, model in settings.configured_models()
    ]


def report(statuses: list[ModelStatus], *, environment: str) -> int:
    """Logs each model's status and publishes the counts; returns how many need attention."""
    attention = [status for status in statuses if status.needs_attention]
    for status in statuses:
        line = {**status.as_log(), "environment": environment}
        if status.needs_attention:
            logger.warning("configured model needs attention", extra=line)
        elif status.state is ModelState.UNCHECKED:
            logger.info("configured model could not be checked", extra=line)
        else:
            logger.info("configured model is available", extra=line)
    # Published even when zero, so the alarm sees a healthy day as data, not as silence.
    metrics.add_metric(name="ModelsNeedingAttention", unit="Count", value=len(attention))
    unchecked = sum(status.state is ModelState.UNCHECKED for status in statuses)
    metrics.add_metric(name="ModelsUnchecked", unit="Count", value=unchecked)
    return len(attention)
