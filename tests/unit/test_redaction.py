"""Redaction by construction: values before serialization, every logger through the root filter,
the chatty client loggers pinned, secrets held until the invocation's last line, no event logging."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from cv_jobs.observability import (
    REDACTED,
    RedactionFilter,
    UnsafeLoggingConfiguration,
    install_redaction,
    invocation_scope,
    logger,
    redact,
    refuse_event_logging,
    secret_in_use,
)
from tests.unit.conftest import Logs
from tests.unit.events import api_context, api_event

# No provider pattern recognises these: only registration can catch them.
QUOTED_KEY = 'org-canary"quoted\\slash-0123456789'
PROXY_KEY = "org-canary-proxy-key-0123456789"


def _forms(secret: str) -> list[str]:
    return [
        secret,
        json.dumps(secret)[1:-1],
        base64.b64encode(secret.encode()).decode(),
    ]


@pytest.fixture
def root_stream() -> Iterator[io.StringIO]:
    """A plain handler on the root logger, like the one the Lambda runtime installs, at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_redaction()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


def test_a_key_with_quotes_and_backslashes_is_redacted_before_json_escapes_it(logs: Logs) -> None:
    # Given a registered key that JSON would escape
    with secret_in_use(QUOTED_KEY):
        # When it is logged in the message, an extra field and a nested structure
        logger.info(f"echo {QUOTED_KEY}", extra={"echo": QUOTED_KEY, "nested": {"list": [QUOTED_KEY]}})

    # Then no form of it is in the line, and the three places say REDACTED
    for form in _forms(QUOTED_KEY):
        assert form not in logs.text
    assert logs.text.count(REDACTED) == 3


def test_a_registered_key_is_redacted_in_its_json_escaped_and_base64_forms(logs: Logs) -> None:
    # Given a registered key
    with secret_in_use(QUOTED_KEY):
        # When text that already holds its escaped and base64 forms is logged (a dumped request body)
        logger.info("body", extra={"dump": json.dumps({"k": QUOTED_KEY}), "b64": _forms(QUOTED_KEY)[2]})

    # Then neither form survives
    for form in _forms(QUOTED_KEY):
        assert form not in logs.text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer org-canary-token-0123456789", "org-canary-token-0123456789"),
        ("{'x-goog-api-key': 'org-canary-goog-0123456789'}", "org-canary-goog-0123456789"),
        ('"X-User-Api-Key": "org-canary-user-0123456789"', "org-canary-user-0123456789"),
        ("Incorrect API key provided: sk-proj-canary0123456789", "canary0123456789"),
        ("GET /v1beta/models?key=org-canary-query-0123456789", "org-canary-query-0123456789"),
        ("AIzaCanary0123456789 rejected", "Canary0123456789"),
    ],
)
def test_credential_shapes_are_redacted_without_registration(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_third_party_loggers_are_redacted_by_the_root_filter(root_stream: io.StringIO) -> None:
    # Given a key in use and a library logger that propagates to the root handler
    library = logging.getLogger("some.library")
    with secret_in_use(PROXY_KEY):
        # When the library logs it in its message, its args, an extra and an exception
        library.warning("sent %s", PROXY_KEY, extra={"header": PROXY_KEY})
        try:
            raise ValueError(f"provider said {PROXY_KEY}")
        except ValueError:
            library.exception("call failed")

    # Then the root handler's output holds the lines, not the key
    text = root_stream.getvalue()
    assert "sent [REDACTED]" in text
    assert "ValueError: provider said [REDACTED]" in text
    assert PROXY_KEY not in text


@pytest.mark.parametrize(
    "name", ["botocore.endpoint", "urllib3.connectionpool", "httpx", "httpcore", "openai"]
)
def test_client_loggers_stay_at_warning_even_when_set_to_debug(root_stream: io.StringIO, name: str) -> None:
    # Given a client logger someone turned to DEBUG (as a DEBUG application log level would)
    client_logger = logging.getLogger(name)
    client_logger.setLevel(logging.DEBUG)
    try:
        # When it logs a request body at DEBUG and a problem at WARNING
        client_logger.debug("request body: {'Plaintext': 'b3JnLWNhbmFyeQ=='}")
        client_logger.warning("retrying")
    finally:
        install_redaction()  # pins it again

    # Then the body line never reaches the root handler, the warning does
    text = root_stream.getvalue()
    assert "Plaintext" not in text
    assert f"{name} WARNING retrying" in text
    assert client_logger.level == logging.WARNING


def test_a_secret_stays_redacted_until_the_invocation_ends(logs: Logs) -> None:
    # Given an invocation in which a job used a key and then crashed after releasing it
    with invocation_scope():
        try:
            with secret_in_use(PROXY_KEY):
                raise RuntimeError(f"boom with {PROXY_KEY}")
        except RuntimeError:
            logger.exception("job attempt crashed")
    # When a line is logged after the invocation
    logger.info(f"after: {PROXY_KEY}")

    # Then the crash's traceback was redacted, and the key is forgotten afterwards
    lines = logs.text.splitlines()
    assert PROXY_KEY not in lines[0]
    assert "boom with [REDACTED]" in lines[0]
    assert PROXY_KEY in lines[1]


def test_the_handler_decorator_redacts_request_key_headers_from_the_first_line(logs: Logs) -> None:
    # Given a handler that logs its whole event (as a careless debug line would)
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> str:
        logger.debug("event", extra={"event": event})
        logger.info(f"key header was {event['headers']['X-User-Api-Key']}")
        return "ok"

    event = api_event("POST", "/ai/jobs/extract", headers={"X-User-Api-Key": PROXY_KEY})

    # When it is invoked at DEBUG
    logger.setLevel(logging.DEBUG)
    try:
        assert handler(event, api_context()) == "ok"
    finally:
        logger.setLevel(logging.INFO)

    # Then the key is nowhere in its output
    assert "key header was [REDACTED]" in logs.text
    for form in _forms(PROXY_KEY):
        assert form not in logs.text


def test_a_crash_escaping_the_handler_is_logged_redacted_and_re_raised_without_its_text(logs: Logs) -> None:
    # Given a handler whose exception text carries the key of its request
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> None:
        raise ValueError(f"bad key {event['headers']['X-User-Api-Key']}")

    event = api_event("POST", "/ai/jobs/extract", headers={"X-User-Api-Key": PROXY_KEY})

    # When it is invoked
    with pytest.raises(RuntimeError) as raised:
        handler(event, api_context())

    # Then what reaches the Lambda runtime names only the type, and the logged traceback is redacted
    assert PROXY_KEY not in str(raised.value)
    assert raised.value.__suppress_context__
    assert "ValueError: bad key [REDACTED]" in logs.text
    assert PROXY_KEY not in logs.text


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_event_logging_is_refused(value: str) -> None:
    with pytest.raises(UnsafeLoggingConfiguration):
        refuse_event_logging({"POWERTOOLS_LOGGER_LOG_EVENT": value})
    with pytest.raises(UnsafeLoggingConfiguration):
        logger.inject_lambda_context(lambda event, context: None, log_event=True)
    refuse_event_logging({"POWERTOOLS_LOGGER_LOG_EVENT": "false"})  # off is fine


def test_the_filter_keeps_malformed_records_and_redacts_them() -> None:
    # Given a record whose args do not fit its message
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%s %s", (PROXY_KEY,), None)

    # When the filter sees it with the key in use
    with secret_in_use(PROXY_KEY):
        kept = RedactionFilter().filter(record)

    # Then it is kept, and its text is redacted
    assert kept
    assert PROXY_KEY not in record.getMessage()
