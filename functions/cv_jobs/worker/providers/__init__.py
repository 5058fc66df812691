"""Builds the provider client a job needs. The openai SDK is imported only when an OpenAI job
runs: it alone costs about half a second of cold start, which a Gemini job must not pay.

httpx is imported eagerly (about 20 ms): the records of a batch run in threads, and the openai SDK
looks httpx up in `sys.modules`, so a Gemini job importing httpx at the same moment as an OpenAI
job builds its client would hand openai a half-initialised module.
"""

from __future__ import annotations

import threading

import httpx  # noqa: F401 - imported for its side effect on sys.modules; see above

from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.providers.base import ProviderClient

# One thread at a time runs a provider module's first import; one lock per provider, so Gemini jobs
# never wait behind the openai SDK's import (half a second) in a batch that mixes providers.
_openai_import = threading.Lock()
_gemini_import = threading.Lock()


def model_for(provider: Provider, settings: WorkerSettings, job_type: str | None = None) -> str:
    return settings.call_plan(provider, job_type).model


def build_client(provider: Provider, api_key: ApiKey, settings: WorkerSettings) -> ProviderClient:
    if provider is Provider.OPENAI:
        with _openai_import:
            from cv_jobs.worker.providers.openai_client import OpenAIClient

        return OpenAIClient(api_key, model=settings.openai_model, base_url=settings.openai_base_url)
    with _gemini_import:
        from cv_jobs.worker.providers.gemini_client import GeminiClient

    return GeminiClient(api_key, model=settings.gemini_model, base_url=settings.gemini_base_url)
