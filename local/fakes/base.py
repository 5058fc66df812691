"""The recording, scriptable base of the FAKE provider servers (they are not the real providers).

Each fake is a real local HTTP server (the openai SDK brings its own HTTP client, so nothing short of a
socket is a faithful fake) that speaks the provider's wire format for the one call the worker makes,
answers with an instance of the JSON schema the request asked for, and records every request it
received so tests can check which key was sent and how. Tests can script the next replies
(`fail_next`, `reply_next`) and reject keys (`reject_key`) to exercise the worker's error handling.
A fault plan (`faults=`, `set_faults`; faults.py) fails a share of generation requests at random, and
`GET /_fake/stats` reports what the fake did with them (`stats()`; `outcomes` per request).

Each fake serves a list of models (by default the ones cdk.json configures plus the unit tests'
names, see models.py) and refuses any other with the provider's 404; tests can serve more
(`serve_model`), retire one (`retire_model`) or announce a shutdown (`deprecate_model`).
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from local.fakes.faults import FaultDice, FaultPlan, FaultStats
from local.fakes.models import default_served_models
from local.http_server import BackgroundHTTPServer, QuietHandler

# A key containing this (in any case) is refused like a revoked key, by every fake, without a script.
INVALID_KEY_MARK = "invalid"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None when the body was empty or not JSON
    raw_body: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def mentions(self, text: str) -> bool:
        """True when `text` occurs anywhere in the request body (e.g. a test's marker)."""
        return text.encode() in self.raw_body


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: tuple[tuple[str, str], ...] = ()
    delay_seconds: float = 0.0
    # What a generation request got, for the stats: a fault kind, "scripted"; None: "answered" for a
    # 200, "refused" otherwise.
    outcome: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one generation request got, and when it arrived (time.time(): the call was under way
    from then on, even if its caller died before the answer came)."""

    request: RecordedRequest
    status: int
    outcome: str
    at: float


class _Handler(QuietHandler):
    server_owner: FakeProviderServer

    def _handle(self) -> None:
        self.server_owner._dispatch(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class FakeProviderServer(BackgroundHTTPServer):
    """Recording, scriptable base of the two fakes."""

    handler_class = _Handler
    provider = "fake"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        models: Iterable[str] | None = None,
        faults: FaultPlan | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._outcomes: list[Outcome] = []
        self._dice = FaultDice(faults or FaultPlan(), seed)
        self._stats = FaultStats()
        self._closing = threading.Event()  # wakes requests held by a delay or a timeout fault
        self._scripted: deque[Reply | _ContentReply] = deque()
        self._rejected_keys: set[str] = set()
        initial = default_served_models(self.provider) if models is None else set(models)
        # Model name -> announced shutdown date (YYYY-MM-DD) or None.
        self._initial_models: dict[str, str | None] = dict.fromkeys(initial)
        self._models = dict(self._initial_models)

    # --- what tests use -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def outcomes(self) -> list[Outcome]:
        """Every generation request with what it got, in the order they were answered."""
        with self._lock:
            return list(self._outcomes)

    def stats(self) -> dict[str, object]:
        """`{requests, answered, refused, faults: {kind: n}}` over generation requests (also served
        at `GET /_fake/stats`)."""
        return self._stats.snapshot()

    def set_faults(self, plan: FaultPlan, seed: int | None = None) -> None:
        """Fail this share of the generation requests from now on (an empty plan: none)."""
        self._dice = FaultDice(plan, seed)

    def clear(self) -> None:
        """Forget requests, outcomes, stats and scripts, and serve the initial models again."""
        self._stats.clear()
        with self._lock:
            self._requests.clear()
            self._outcomes.clear()
            self._scripted.clear()
            self._rejected_keys.clear()
            self._models = dict(self._initial_models)

    def serve_model(self, name: str) -> None:
        with self._lock:
            self._models.setdefault(name, None)

    def retire_model(self, name: str) -> None:
        """From now on `name` is unknown, as after the provider's shutdown: 404 on every call."""
        with self._lock:
            self._models.pop(name, None)

    def deprecate_model(self, name: str, shutdown_date: str) -> None:
        """Announce a shutdown (YYYY-MM-DD): the model still answers; its model info says when it stops."""
        with self._lock:
            self._models[name] = shutdown_date

    def serves(self, name: str) -> bool:
        with self._lock:
            return name in self._models

    def served_models(self) -> dict[str, str | None]:
        """Model name -> announced shutdown date (None: none announced)."""
        with self._lock:
            return dict(sorted(self._models.items()))

    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        delay_seconds: float = 0.0,
    ) -> None:
        """Answer the next `times` authenticated calls with `status` and `body` (default: the
        provider's usual error body for that status)."""
        reply = Reply(
            status,
            body if body is not None else self.error_body(status),
            tuple((headers or {}).items()),
            delay_seconds,
            outcome="scripted",
        )
        with self._lock:
            self._scripted.extend([reply] * times)

    def reply_next(
        self,
        content: str,
        *,
        finish_reason: str | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        """Answer the next authenticated call successfully, but with this raw model output (e.g.
        invalid JSON) and finish reason (e.g. a truncated or blocked answer)."""
        with self._lock:
            self._scripted.append(_ContentReply(content, finish_reason, delay_seconds))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` authenticated calls normally, but only after `seconds` (a slow
        provider; or a way to observe a job while it is processing)."""
        with self._lock:
            self._scripted.extend([_ContentReply(None, None, seconds)] * times)

    def reject_key(self, key: str) -> None:
        """Treat `key` as invalid, like the provider does with a revoked key. (A key containing
        `invalid` always is: INVALID_KEY_MARK.)"""
        with self._lock:
            self._rejected_keys.add(key)

    # --- provider specifics ---------------------------------------------------------------------

    def error_body(self, status: int, message: str | None = None) -> Any:
        raise NotImplementedError

    def route(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def is_generation(self, request: RecordedRequest) -> bool:
        """True for the model call the worker makes (what faults and stats are about)."""
        raise NotImplementedError

    def _draw_fault(self) -> str | None:
        return self._dice.draw()

    @property
    def dice(self) -> FaultDice:
        return self._dice

    def start(self) -> Self:
        super().start()
        server = self._server
        if server is not None:
            default = server.handle_error

            def handle_error(request: Any, client_address: Any) -> None:
                # A client killed mid-call (a crashed worker) resets its connections: not news.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    default(request, client_address)

            server.handle_error = handle_error  # type: ignore[method-assign]
        return self

    def stop(self) -> None:
        self._closing.set()
        super().stop()
        self._closing.clear()

    # --- plumbing -------------------------------------------------------------------------------

    def _dispatch(self, handler: _Handler) -> None:
        received = time.time()
        raw_body = handler.read_body()
        parts = urlsplit(handler.path)
        if handler.command == "GET" and parts.path == "/_fake/stats":
            stats = json.dumps(self.stats()).encode()
            handler.send(200, stats, [("Content-Type", "application/json")])
            return
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        request = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=body,
            raw_body=raw_body,
        )
        with self._lock:
            self._requests.append(request)
        reply = self.route(request)
        if self.is_generation(request):
            # Counted when decided: a timeout fault is never answered in the client's time.
            outcome = reply.outcome or ("answered" if reply.status == 200 else "refused")
            self._stats.count(outcome)
            with self._lock:
                self._outcomes.append(Outcome(request, reply.status, outcome, received))
        if reply.delay_seconds:
            self._closing.wait(reply.delay_seconds)
        payload = json.dumps(reply.body).encode()
        headers = [("Content-Type", "application/json"), *reply.headers]
        # The client may have given up waiting (a timeout fault): as a real server, carry on.
        with contextlib.suppress(OSError):
            handler.send(reply.status, payload, headers)

    def _take_scripted(self) -> Reply | _ContentReply | None:
        with self._lock:
            return self._scripted.popleft() if self._scripted else None

    def _is_rejected(self, key: str) -> bool:
        # Any key containing "invalid" is refused as well, so a person can see a refusal (in the
        # playground, with cvjobs test-key) without a test script to call reject_key.
        with self._lock:
            return key in self._rejected_keys or INVALID_KEY_MARK in key.lower()


@dataclass(frozen=True)
class _ContentReply:
    content: str | None  # None: the usual schema-generated answer
    finish_reason: str | None
    delay_seconds: float


def masked_key(key: str) -> str:
    # Like OpenAI's own 401 text, which echoes fragments of the key it was given: the worker must
    # never pass a provider's message through to users.
    return f"{key[:6]}{'*' * 8}{key[-4:]}" if len(key) > 10 else "*" * len(key)


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)
