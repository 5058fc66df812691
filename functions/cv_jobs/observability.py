"""The one logger and metrics object every module uses, and the log redaction that backs them.

Keys are never logged on purpose; redaction makes a leak impossible by construction for the day
someone logs an exception text, an object that carries a key, or turns the log level to DEBUG:

- every secret registered while in use (a job's BYOK key, the system key, the key headers of an
  API request) is removed from every line, in its raw, JSON-escaped, repr-escaped, URL-encoded and
  base64 forms; inside a Lambda invocation it stays registered until the invocation's last line,
  crash tracebacks included;
- anything shaped like a provider key or credential header (`sk-…`, `AIza…`, `Bearer …`,
  `x-goog-api-key: …`) is removed without registration;
- redaction runs on the values of a record before they are serialized (so a key with `"` or `\\`
  is caught before JSON escapes it) and once more on the finished line;
- a filter on every handler of the root logger covers third-party loggers, and the HTTP/AWS client
  loggers are held at WARNING whatever the application log level (their DEBUG lines carry KMS
  plaintexts and Secrets Manager values);
- `POWERTOOLS_LOGGER_LOG_EVENT` is refused: the API event carries `X-User-Api-Key` and the CV.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
import re
import threading
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

REDACTED = "[REDACTED]"

# Provider keys and credential headers, wherever they appear: OpenAI (sk-…, sk-proj-…), Google
# (AIza…), bearer tokens, Gemini's key header and query parameter, and our own BYOK header.
_KEY_SHAPES = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}|AIza[A-Za-z0-9_\-]{6,}")
_CREDENTIAL_FIELDS = re.compile(
    r"""(?ix)
    (bearer\s+)[^\s"',;}\]]+
    | ((?:x-goog-api-key|x-user-api-key|x-api-key|authorization)["']?\s*[:=]\s*["']?(?:bearer\s+)?)
      [^\s"',;}\]]+
    | ([?&]key=)[^&\s"',;}\]]+
    """
)
# Shorter values cannot be matched without also masking ordinary words (keys shorter than this
# are refused at the API anyway).
_MIN_REGISTERED_LENGTH = 8
# Loggers whose DEBUG/INFO lines carry request and response bodies: KMS plaintexts, Secrets Manager
# values, provider requests with keys. Pinned at WARNING; the root filter drops their lower lines
# even if something lowers the level again.
PINNED_LOGGERS = ("botocore", "boto3", "urllib3", "httpx", "httpcore", "openai", "aws_lambda_powertools")
# Request headers whose values are secrets, registered for the whole invocation that carries them.
SECRET_HEADERS = frozenset({"x-user-api-key", "x-api-key", "authorization"})
_LOG_EVENT_ENV = "POWERTOOLS_LOGGER_LOG_EVENT"


class UnsafeLoggingConfiguration(RuntimeError):
    """A setting that would write request events (keys, CVs) to the logs."""


class PublicError(Exception):
    """An error whose text is ours and fixed (e.g. an authorizer's "Unauthorized"): it leaves the
    handler as it is, where any other exception is logged redacted and replaced."""


def _forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: as is, escaped by JSON or repr, URL-encoded, base64."""
    encoded = secret.encode("utf-8")
    forms = {
        secret,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        base64.b64encode(encoded).decode("ascii"),
        base64.urlsafe_b64encode(encoded).decode("ascii"),
    }
    # Base64 padding may be cut off where the value was embedded.
    forms |= {form.rstrip("=") for form in forms}
    return {form for form in forms if len(form) >= _MIN_REGISTERED_LENGTH}


class _SecretRegistry:
    """Secrets currently held by this process; counted, since two jobs may hold the same key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: Counter[str] = Counter()
        self._patterns: list[str] = []

    def add(self, secret: str) -> None:
        with self._lock:
            self._secrets[secret] += 1
            self._rebuild()

    def discard(self, secret: str) -> None:
        with self._lock:
            self._secrets[secret] -= 1
            if self._secrets[secret] <= 0:
                del self._secrets[secret]
            self._rebuild()

    def _rebuild(self) -> None:
        forms = {form for secret in self._secrets for form in _forms(secret)}
        # Longest first, so a form that contains another is removed whole.
        self._patterns = sorted(forms, key=len, reverse=True)

    def snapshot(self) -> list[str]:
        with self._lock:
            return self._patterns


_registry = _SecretRegistry()
# Secrets whose release waits for the end of the current invocation (see invocation_scope).
_held_until_invocation_end: ContextVar[list[str] | None] = ContextVar("held_secrets", default=None)


@contextmanager
def secret_in_use(secret: str) -> Iterator[None]:
    """Redact `secret` from every log line written while the block runs; inside an invocation,
    until the invocation's last line (a crash is logged after the block has been left)."""
    registered = len(secret) >= _MIN_REGISTERED_LENGTH
    if registered:
        _registry.add(secret)
    try:
        yield
    finally:
        if registered:
            held = _held_until_invocation_end.get()
            if held is None:
                _registry.discard(secret)
            else:
                held.append(secret)


def keep_redacted(secret: str) -> None:
    """Redact `secret` until the current invocation ends (no-op outside one)."""
    held = _held_until_invocation_end.get()
    if held is not None and len(secret) >= _MIN_REGISTERED_LENGTH:
        _registry.add(secret)
        held.append(secret)


@contextmanager
def invocation_scope() -> Iterator[None]:
    """Secrets registered inside stay registered until the scope ends. Threads started with the
    context copied (asyncio.to_thread, as the worker's batch does) share the scope."""
    held: list[str] = []
    token = _held_until_invocation_end.set(held)
    try:
        yield
    finally:
        _held_until_invocation_end.reset(token)
        for secret in held:
            _registry.discard(secret)


def redact(text: str) -> str:
    for form in _registry.snapshot():
        text = text.replace(form, REDACTED)
    text = _KEY_SHAPES.sub(REDACTED, text)
    return _CREDENTIAL_FIELDS.sub(_keep_field_name, text)


def _keep_field_name(match: re.Match[str]) -> str:
    return next(group for group in match.groups() if group is not None) + REDACTED


def redact_value(value: Any, default: Callable[[Any], Any] = str) -> Any:
    """`value` with every string in it redacted; objects JSON cannot hold become redacted text."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {redact(str(key)): redact_value(item, default) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item, default) for item in value]
    return redact(str(default(value)))


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, redacting every value before serialization and the line after."""

    def serialize(self, log: Any) -> str:
        return redact(super().serialize(redact_value(log, self.json_default)))


class RedactionFilter(logging.Filter):
    """For the handlers of the root logger, where every library's records end up: drops the pinned
    loggers' lines below WARNING and redacts the rest, traceback folded into the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and _is_pinned(record.name):
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record must still be logged, redacted
            message = f"{record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info))
        elif record.exc_text:
            message += "\n" + record.exc_text
        if record.stack_info:
            message += "\n" + record.stack_info
        record.msg, record.args = redact(message), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_RECORD_FIELDS:
                setattr(record, name, redact_value(value))
        return True


_STANDARD_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}
_ROOT_FILTER = RedactionFilter()


def _is_pinned(name: str) -> bool:
    return any(name == pinned or name.startswith(pinned + ".") for pinned in PINNED_LOGGERS)


def install_redaction() -> None:
    """Pin the chatty loggers and put the redaction filter on every root handler (idempotent: the
    Lambda runtime adds its root handler before our code runs, local mode and tests add theirs)."""
    for name in PINNED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name, child in list(logging.Logger.manager.loggerDict.items()):
        lowered = isinstance(child, logging.Logger) and logging.NOTSET < child.level < logging.WARNING
        if lowered and _is_pinned(name):
            logging.getLogger(name).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if _ROOT_FILTER not in handler.filters:
            handler.addFilter(_ROOT_FILTER)


def refuse_event_logging(environ: Mapping[str, str] = os.environ) -> None:
    if environ.get(_LOG_EVENT_ENV, "").strip().lower() in {"1", "true", "yes", "on", "y", "t"}:
        raise UnsafeLoggingConfiguration(
            f"{_LOG_EVENT_ENV} is refused: API events carry users' keys and CVs. Unset it."
        )


def event_secrets(event: Any) -> list[str]:
    """Values of the secret request headers of an API Gateway event (none for other events)."""
    if not isinstance(event, Mapping):
        return []
    values: list[str] = []
    for name, value in (event.get("headers") or {}).items():
        if str(name).lower() in SECRET_HEADERS and isinstance(value, str):
            values.append(value)
    for name, items in (event.get("multiValueHeaders") or {}).items():
        if str(name).lower() in SECRET_HEADERS and isinstance(items, list):
            values += [item for item in items if isinstance(item, str)]
    # "Bearer <token>": the token alone too, as a library may log it without the scheme.
    return values + [value.split(None, 1)[1] for value in values if value.lower().startswith("bearer ")]


class _Logger(Logger):
    """Powertools' Logger whose handler decorator never logs the event and wraps each invocation in
    a redaction scope: the request's key headers are redacted from its first line, secrets used
    during it until its last, and a crash escaping the handler is logged redacted and re-raised
    without its text (the Lambda runtime would print the original's traceback unfiltered)."""

    def inject_lambda_context(  # type: ignore[override]
        self, lambda_handler: Callable[..., Any] | None = None, log_event: bool | None = None, **kwargs: Any
    ) -> Any:
        if log_event:
            raise UnsafeLoggingConfiguration("log_event is refused: events carry users' keys and CVs")
        if lambda_handler is None:
            return functools.partial(self.inject_lambda_context, **kwargs)
        inner = super().inject_lambda_context(lambda_handler, log_event=False, **kwargs)

        @functools.wraps(lambda_handler)
        def handler(event: Any, context: Any, *args: Any, **more: Any) -> Any:
            install_redaction()
            with invocation_scope():
                for secret in event_secrets(event):
                    keep_redacted(secret)
                try:
                    return inner(event, context, *args, **more)
                except PublicError:
                    raise
                except Exception as error:  # noqa: BLE001 - logged redacted, re-raised without text
                    self.exception("invocation failed", extra={"error_type": type(error).__name__})
                    raise RuntimeError(f"invocation failed ({type(error).__name__}); see the log") from None

        return handler


refuse_event_logging()
# A poll (GET) publishes no metric; Powertools would warn about it on every such invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = _Logger(logger_formatter=RedactingFormatter())
metrics = Metrics()
install_redaction()
