"""FAKE OpenAI and Gemini servers for offline demos and tests. They are not the real providers.

They speak the providers' wire formats for the calls the worker makes and answer every job type's
steps with schema-valid output derived from what they were sent (`answers/`), clearly marked as
fake, so two different CVs give two different results.
"""

from local.fakes.base import FakeProviderServer, RecordedRequest, Reply
from local.fakes.gemini import FakeGeminiServer, gemini_error
from local.fakes.openai import FakeOpenAIServer, openai_error

__all__ = [
    "FakeGeminiServer",
    "FakeOpenAIServer",
    "FakeProviderServer",
    "RecordedRequest",
    "Reply",
    "gemini_error",
    "openai_error",
]
