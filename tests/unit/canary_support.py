"""The canary suite's tools: keys no redaction pattern recognises, the forms a leak could take, and
the sinks a leak could reach (captured log lines of every logger, HTTP responses, SQS, DynamoDB)."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# No provider shape (sk-, AIza, Bearer) and no header name: only registration can catch these. One
# carries a quote and a backslash, which JSON escapes.
PROXY_KEY = "org-canary-proxy-0123456789abcdef"
QUOTED_KEY = 'org-canary"quoted\\key-0123456789'
REVOKED_KEY = "org-canary-revoked-0123456789abcdef"
SYSTEM_KEY = "org-canary-system-0123456789abcdef"
CANARY_KEYS = (PROXY_KEY, QUOTED_KEY, REVOKED_KEY, SYSTEM_KEY)


def forms(secret: str) -> set[str]:
    """A key as it would look in a raw line, a JSON dump, a repr, or base64 (padded or not)."""
    encoded = secret.encode()
    found = {
        secret,
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        base64.b64encode(encoded).decode(),
        base64.urlsafe_b64encode(encoded).decode(),
    }
    return found | {form.rstrip("=") for form in found}


def leaks(text: str, secrets: Iterable[str] = CANARY_KEYS) -> list[str]:
    """The secrets found in `text` in any form."""
    return [secret for secret in secrets if any(form in text for form in forms(secret))]


@dataclass
class Sinks:
    """Everything the service wrote or answered during the suite, by where it went."""

    root_log: io.StringIO = field(default_factory=io.StringIO)  # the Lambda runtime's root handler
    service_log: io.StringIO = field(default_factory=io.StringIO)  # Powertools' handler
    printed: list[str] = field(default_factory=list)  # stdout/stderr (metrics, runtime lines)
    responses: list[dict[str, Any]] = field(default_factory=list)  # the api's proxy responses
    delivered: list[dict[str, Any]] = field(default_factory=list)  # every SQS message delivered
    left_on_queues: list[dict[str, Any]] = field(default_factory=list)  # queue and DLQ at the end
    items: list[dict[str, Any]] = field(default_factory=list)  # both tables at the end

    def by_name(self) -> dict[str, str]:
        return {
            "root log (every third-party logger)": self.root_log.getvalue(),
            "service log (Powertools JSON lines)": self.service_log.getvalue(),
            "stdout/stderr": "\n".join(self.printed),
            "HTTP responses": json.dumps(self.responses, default=str),
            "SQS messages delivered": json.dumps(self.delivered, default=str),
            "SQS queue and DLQ at the end": json.dumps(self.left_on_queues, default=str),
            "DynamoDB items": json.dumps(self.items, default=str),
        }


@contextmanager
def every_logger_at_debug(sinks: Sinks, service_handler: logging.Handler) -> Iterator[None]:
    """Root at DEBUG with a plain handler (as the Lambda runtime has), the service logger at DEBUG
    writing to `sinks`, and every logger that exists set to DEBUG."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sinks.root_log)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    previous_root, previous_stream = root.level, service_handler.setStream(sinks.service_log)  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_root)
        service_handler.setStream(previous_stream)  # type: ignore[attr-defined]


def lower_every_logger_to_debug() -> None:
    """As a DEBUG application log level or a careless library configuration would."""
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(logging.DEBUG)


def cv_with_marker(text: str, marker: str) -> str:
    return f"{text}\nReference line {marker}\n"
