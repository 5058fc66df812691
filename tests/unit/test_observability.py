"""Log redaction and key objects that cannot leak by accident."""

from __future__ import annotations

import pickle

import pytest

from cv_jobs.credentials import ApiKey
from cv_jobs.observability import REDACTED, logger, redact, secret_in_use
from tests.unit.conftest import Logs


def test_a_key_in_use_is_redacted_from_log_lines_even_when_logged_by_mistake(logs: Logs) -> None:
    key = "custom-shaped-key-0123456789"  # not shaped like a provider key
    with secret_in_use(key):
        logger.info(f"provider said: bad key {key}", extra={"echo": key})
    assert key not in logs.text
    assert logs.text.count(REDACTED) == 2


def test_a_key_is_forgotten_once_no_job_holds_it() -> None:
    key = "custom-shaped-key-0123456789"
    with secret_in_use(key), secret_in_use(key):
        pass
    assert redact(key) == key


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Incorrect API key provided: sk-proj-abc123def456.", "abc123def456"),
        ("GET /v1beta/models?key=AIzaSyA-canary-0123456789 failed", "canary-0123456789"),
        ("Incorrect API key provided: sk-canar***cdef", "canar***cdef"),
    ],
)
def test_provider_shaped_keys_are_redacted_without_registration(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_api_key_never_shows_its_value() -> None:
    key = ApiKey("sk-canary-openai-byok-0123456789abcdef")
    assert "canary" not in repr(key)
    assert "canary" not in str(key)
    assert "canary" not in f"{key}"
    assert key.reveal().startswith("sk-canary")
    with pytest.raises(TypeError):
        pickle.dumps(key)
