"""Builds the provider client a job needs. Each SDK is imported only when a job for that
provider runs: the openai SDK alone costs about half a second of cold start, which a Gemini job
must not pay."""

from __future__ import annotations

from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.providers.base import ProviderClient


def model_for(provider: Provider, settings: WorkerSettings) -> str:
    return settings.openai_model if provider is Provider.OPENAI else settings.gemini_model


def build_client(provider: Provider, api_key: ApiKey, settings: WorkerSettings) -> ProviderClient:
    if provider is Provider.OPENAI:
        from cv_jobs.worker.providers.openai_client import OpenAIClient

        return OpenAIClient(api_key, model=settings.openai_model, base_url=settings.openai_base_url)
    from cv_jobs.worker.providers.gemini_client import GeminiClient

    return GeminiClient(api_key, model=settings.gemini_model, base_url=settings.gemini_base_url)
