"""The playground's web server (`make run` starts it on LOCAL_PLAYGROUND_PORT, default 5173).

It serves the static page in local/playground/ (plain HTML, JS and CSS: no build step) and two
small JSON documents the page reads on load:

- `/config.json`: where the API is and the local stack's `X-API-Key`. That key is built into the
  page for local use only: a page served to users must never carry an API key it did not get from
  its own back end. The user's own provider key is never sent here, and never leaves the page's
  memory except as the BYOK header of an API call.
- `/samples.json`: the repository's sample CVs and job descriptions (samples/) and a complete,
  valid request body per job type (local/examples.py), for the page's "load sample" buttons.

The page calls the API cross-origin, like the real frontend: its origin (http://127.0.0.1:5173 or
http://localhost:5173) is one the dev environment's CORS settings allow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local.examples import EXAMPLE_PATHS, SAMPLES, example_request
from local.http_server import BackgroundHTTPServer, QuietHandler

PLAYGROUND_DIR = Path(__file__).resolve().parent / "playground"
DEFAULT_PORT = 5173
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}


class _Handler(QuietHandler):
    server_owner: PlaygroundServer

    def do_GET(self) -> None:
        self.server_owner._serve(self)

    do_HEAD = do_GET


class PlaygroundServer(BackgroundHTTPServer):
    handler_class = _Handler

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        environment: str,
        fake_llm: bool,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
    ) -> None:
        super().__init__(host, port)
        self._api_url = api_url
        self._config = {
            "api_url": api_url,
            "api_key": api_key,
            "environment": environment,
            "providers": "fake" if fake_llm else "real",
        }
        self._samples = samples_document()

    def _serve(self, handler: _Handler) -> None:
        path = urlsplit(handler.path).path
        if path == "/config.json":
            # It carries the local API key: no cache may keep it.
            self._send(handler, 200, json.dumps(self._config).encode(), "application/json", no_store=True)
        elif path == "/samples.json":
            self._send(handler, 200, json.dumps(self._samples).encode(), "application/json")
        elif (file := static_file(path)) is not None:
            self._send(handler, 200, file.read_bytes(), _TYPES[file.suffix])
        else:
            self._send(handler, 404, b"Not found", "text/plain; charset=utf-8")

    def _send(
        self, handler: _Handler, status: int, body: bytes, content_type: str, *, no_store: bool = False
    ) -> None:
        headers = [
            ("Content-Type", content_type),
            # The page may talk to itself and to the API, nothing else; no inline script or style.
            (
                "Content-Security-Policy",
                f"default-src 'self'; connect-src 'self' {self._api_url}; img-src 'self' data:; "
                "form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store" if no_store else "no-cache"),
        ]
        handler.send(status, body, headers)


def static_file(path: str) -> Path | None:
    """The playground file a URL path names (`/` is index.html), never anything outside the folder."""
    name = "index.html" if path in ("", "/") else path.lstrip("/")
    candidate = (PLAYGROUND_DIR / name).resolve()
    if candidate.parent != PLAYGROUND_DIR or candidate.suffix not in _TYPES or not candidate.is_file():
        return None
    return candidate


def samples_document() -> dict[str, Any]:
    """The samples and an example request per job path, as the page's /samples.json."""
    samples = [
        {"name": path.name, "kind": "cv" if path.name.startswith("cv_") else "job_description", "text": text}
        for path in sorted(SAMPLES.glob("*.txt"))
        if path.name.startswith(("cv_", "jd_"))
        for text in [path.read_text(encoding="utf-8")]
    ]
    return {"samples": samples, "examples": {path: example_request(path) for path in EXAMPLE_PATHS}}


def start_playground(
    *,
    api_url: str,
    api_key: str,
    environment: str,
    fake_llm: bool,
    cors_origins: tuple[str, ...],
    host: str,
    port_setting: str,
) -> tuple[PlaygroundServer | None, str]:
    """Start the playground on `port_setting` (LOCAL_PLAYGROUND_PORT: a port, or `off`) and say where,
    as the banner's line. A busy port does not stop the stack: the line says so and how to move it."""
    if port_setting.strip().lower() == "off":
        return None, "  playground    off (LOCAL_PLAYGROUND_PORT=off)"
    port = int(port_setting)
    try:
        server = PlaygroundServer(
            api_url=api_url, api_key=api_key, environment=environment, fake_llm=fake_llm, host=host, port=port
        ).start()
    except OSError as error:
        return None, (
            f"  playground    NOT started: port {port} is taken ({error.strerror}); "
            "set LOCAL_PLAYGROUND_PORT to a free port the environment's CORS origins allow, or off"
        )
    allowed = {f"http://{name}:{server.port}" for name in (host, "localhost")} & set(cors_origins)
    note = (
        "the local API key is built into the page: local use only"
        if allowed
        else "WARNING: this origin is not in the environment's CORS origins, the page cannot call the API"
    )
    return server, f"  playground    {server.url}/   ({note})"
