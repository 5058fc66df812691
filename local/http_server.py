"""A stdlib HTTP server in a daemon thread: the base of the local gateway and the fake providers."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive, as real clients expect) without the per-request stderr lines."""

    protocol_version = "HTTP/1.1"
    server_version = "local"
    sys_version = ""
    # Headers and body go out as separate writes; with Nagle's algorithm the body of a keep-alive
    # response can wait for the client's delayed ACK (up to 40 ms on Linux) on every request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    # The listen backlog: socketserver's default of 5 drops connections when a load test (or a
    # browser and a CLI at once) opens more than five at the same moment.
    request_queue_size = 128


class BackgroundHTTPServer:
    """Owns a ThreadingHTTPServer bound to `host:port` (port 0 picks a free one)."""

    handler_class: type[BaseHTTPRequestHandler] = QuietHandler

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        # A handler class per server, so each request knows which server object owns it.
        handler = type("Handler", (self.handler_class,), {"server_owner": self})
        server = _Server((self._host, self._port), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
