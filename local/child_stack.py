"""`python -m local.run` as a child process, for what needs a whole local stack of its own: the fault
run, the smoke run, the throughput benchmark and the end-to-end tests. It gets the environment it is
given, writes all its output to one log file, is ready once its gateway answers, and is stopped with
SIGTERM, as Ctrl-C would stop it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]


class StackNotServing(RuntimeError):
    """The child stack exited, or did not answer in time, while starting (the message has its log's tail)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChildStack:
    def __init__(
        self, env: Mapping[str, str], log_path: Path, api_url: str, *, own_session: bool = False
    ) -> None:
        """`api_url`: where its gateway listens (the env's LOCAL_API_PORT); `own_session`: a process
        group of its own, so a signal to the caller's group never reaches it."""
        self.env = dict(env)
        self.log_path = log_path
        self.api_url = api_url
        self._own_session = own_session
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, startup_seconds: float) -> ChildStack:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "local.run"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self._own_session,
            )
        deadline = time.monotonic() + startup_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackNotServing(
                    f"the local stack exited with {self.process.returncode}:\n{self.tail()}"
                )
            try:
                # Any answer will do: the gateway starts last, once the handlers are imported.
                httpx.get(f"{self.api_url}/ai/jobs/ping", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop(10)
        raise StackNotServing(f"the local stack was not serving after {startup_seconds:g} s:\n{self.tail()}")

    def stop(self, timeout: float) -> int | None:
        """SIGTERM, then its exit code; None when it had to be killed after `timeout` seconds."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(the local stack wrote nothing)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])
