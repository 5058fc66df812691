"""moto's AWS emulator served with keep-alive connections, in a thread (`MotoServer`) or as a process
of its own (`python -m local.moto_server HOST PORT`, which AwsEmulator(own_process=True) runs).

moto's own `ThreadedMotoServer` runs its WSGI app on werkzeug's development server, which answers
every request with `Connection: close`: each AWS call of the local stack then paid a new TCP
connection and, in the server, a new thread (about 8 connections per job). The same app (moto's
`DomainDispatcherApplication`, which routes a request to a service by its signature) is served here
by waitress, a production WSGI server with HTTP/1.1 keep-alive and a fixed pool of threads.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress import wasyncore

# How long moto took over a request, on its answer: the per-job overhead benchmark tells the
# emulator's own time from what a call costs the caller (benchmarks/stopwatches.py).
TIMING_HEADER = "X-Local-Emulator-Ms"

# Enough for every long poll the local stack holds at once (one per worker process and the sweeper's
# queries) with room for the api's calls: a request waits for a free thread otherwise.
THREADS = 16


def _list_moto_modules_once() -> None:
    """moto's dispatcher lists its package folder (some 200 `isdir` calls) on every request, under a
    lock that every request takes: about a quarter of py-spy's samples of the emulator under load,
    most of them threads waiting on that lock. The folder does not change while it runs."""
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _timed(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def timed_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()

        def start_with_timing(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            # moto answers whole: by the time it starts its response, its work is done.
            spent = f"{(time.perf_counter() - started) * 1000:.3f}"
            return start_response(status, [*headers, (TIMING_HEADER, spent)], *args)

        return app(environ, start_with_timing)

    return timed_app


class MotoServer:
    def __init__(self, host: str, port: int) -> None:
        """`port` 0: any free port (`port` says which once constructed)."""
        # One line per request or the "Serving on" banner would drown the handlers' logs.
        logging.getLogger("waitress").setLevel(logging.WARNING)
        _list_moto_modules_once()
        # The server's sockets (listener and connections), ours so that stop() can close them all.
        self._sockets: dict[int, Any] = {}
        self._server: Any = waitress.create_server(
            _timed(DomainDispatcherApplication(create_backend_app)),
            host=host,
            port=port,
            threads=THREADS,
            # A client that keeps its connection keeps it; an idle one is closed after a minute.
            channel_timeout=60,
            # No select() limit on the number of sockets.
            asyncore_use_poll=True,
            ident="moto",
            map=self._sockets,
        )
        self.port = int(self._server.effective_port)
        self._thread: threading.Thread | None = None

    def start(self) -> MotoServer:
        self._thread = threading.Thread(target=self.serve_forever, name="MotoServer", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.run()

    def stop(self) -> None:
        """Let the requests in hand finish (a long poll takes up to its wait), then close every
        socket, which ends serve_forever's loop."""
        self._server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(self._sockets)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def main() -> None:
    """SIGTERM ends the process at once (the default: the emulator's state dies with it by design);
    Ctrl-C's SIGINT lets the requests in hand finish first."""
    host, port = sys.argv[1], int(sys.argv[2])
    MotoServer(host, port).serve_forever()


if __name__ == "__main__":
    main()
