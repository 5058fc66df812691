"""The playground's server without a stack: which files it serves, and how `make run` reports it when
its port is taken, switched off, or not an origin the environment's CORS settings allow.
(tests/e2e/test_e2e_playground.py drives the page in a browser.)"""

from __future__ import annotations

import socket

import httpx

from local.playground_server import PLAYGROUND_DIR, PlaygroundServer, start_playground, static_file

ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")


def _start(port_setting: str, origins: tuple[str, ...] = ORIGINS) -> tuple[PlaygroundServer | None, str]:
    return start_playground(
        api_url="http://127.0.0.1:3000",
        api_key="local-dev-key",
        environment="dev",
        fake_llm=True,
        cors_origins=origins,
        host="127.0.0.1",
        port_setting=port_setting,
    )


def test_only_the_playgrounds_own_files_are_served() -> None:
    # The page and its scripts and styles
    assert static_file("/") == PLAYGROUND_DIR / "index.html"
    assert static_file("/app.js") == PLAYGROUND_DIR / "app.js"
    assert static_file("/style.css") == PLAYGROUND_DIR / "style.css"
    # never a file beside or above them, nor one of another type
    for path in ("/../run.py", "/../playground_server.py", "/nope.js", "/../../README.md", "/index.html/x"):
        assert static_file(path) is None, path


def test_a_taken_port_is_reported_and_the_stack_goes_on() -> None:
    # Given a port something else listens on (the frontend's dev server, say)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # When the playground is started on it
        server, line = _start(str(port))

    # Then there is no playground, and the banner line says why and what to do
    assert server is None
    assert f"NOT started: port {port} is taken" in line
    assert "LOCAL_PLAYGROUND_PORT" in line


def test_off_starts_nothing() -> None:
    server, line = _start("off")

    assert server is None
    assert "off" in line


def test_a_port_outside_the_cors_origins_is_served_with_a_warning() -> None:
    # When the playground runs on a port no allowed origin names
    server, line = _start("0")
    try:
        # Then it serves, and the banner warns that the page cannot call the API from there
        assert server is not None
        assert "WARNING" in line
        assert "CORS" in line
        page = httpx.get(f"{server.url}/")
        assert page.status_code == 200
        assert '<script type="module" src="app.js">' in page.text
    finally:
        if server is not None:
            server.stop()


def test_an_allowed_origin_is_announced_as_local_use_only() -> None:
    # Given an environment whose CORS origins name the port the playground gets
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server, line = _start(str(port), origins=(f"http://127.0.0.1:{port}",))
    try:
        # Then the banner gives its URL and says the page carries the local key
        assert server is not None
        assert f"http://127.0.0.1:{port}/" in line
        assert "local use only" in line
    finally:
        if server is not None:
            server.stop()
