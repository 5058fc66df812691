"""The one logger and metrics object every module uses, and the log redaction that backs them.

Keys are never logged on purpose; redaction is the second line of defence for the day someone logs
an exception text or an object that carries one. It removes every secret registered while it is in
use (the BYOK key of a running job, the system key) and anything shaped like a provider key.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from logging import LogRecord

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

REDACTED = "[REDACTED]"

# Shapes of provider keys: OpenAI (sk-..., sk-proj-...) and Google (AIza...).
_KEY_SHAPES = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}|AIza[A-Za-z0-9_\-]{6,}")
# Shorter values cannot be matched without also masking ordinary words.
_MIN_REGISTERED_LENGTH = 8


class _SecretRegistry:
    """Secrets currently held by this process; counted, since two jobs may hold the same key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: Counter[str] = Counter()

    def add(self, secret: str) -> None:
        with self._lock:
            self._secrets[secret] += 1

    def discard(self, secret: str) -> None:
        with self._lock:
            self._secrets[secret] -= 1
            if self._secrets[secret] <= 0:
                del self._secrets[secret]

    def snapshot(self) -> list[str]:
        with self._lock:
            # Longest first, so a key that contains another is removed whole.
            return sorted(self._secrets, key=len, reverse=True)


_registry = _SecretRegistry()


@contextmanager
def secret_in_use(secret: str) -> Iterator[None]:
    """Redact `secret` from every log line written while the block runs."""
    registered = len(secret) >= _MIN_REGISTERED_LENGTH
    if registered:
        _registry.add(secret)
    try:
        yield
    finally:
        if registered:
            _registry.discard(secret)


def redact(text: str) -> str:
    for secret in _registry.snapshot():
        text = text.replace(secret, REDACTED)
    return _KEY_SHAPES.sub(REDACTED, text)


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with secrets removed from the finished line."""

    def serialize(self, log: LogRecord | dict) -> str:  # type: ignore[override]
        return redact(super().serialize(log))  # type: ignore[arg-type]


# A poll (GET) publishes no metric; Powertools would warn about it on every such invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics()
