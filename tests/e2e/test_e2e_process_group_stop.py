"""`make run` stops when its whole process group gets SIGTERM (what a terminal, a container runtime
or a CI runner sends), not only when the parent alone is signalled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import REPO_ROOT, SHUTDOWN_TIMEOUT_SECONDS, STARTUP_TIMEOUT_SECONDS

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_to_the_process_group_stops_the_local_stack(tmp_path: Path) -> None:
    # Given the local stack in a process group of its own, with its worker processes polling
    api_port = _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(
        {
            "FAKE_LLM": "1",
            "LOCAL_API_PORT": str(api_port),
            "LOCAL_AWS_PORT": str(_free_port()),
            "LOCAL_WORKER_PROCESSES": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pgid = process.pid
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                httpx.get(f"http://127.0.0.1:{api_port}/ai/jobs/ping", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the local stack did not start"
                time.sleep(0.2)
        time.sleep(1.5)  # the workers are inside their wait loop now, where the signal used to hang them

        # When the whole group gets SIGTERM
        os.killpg(pgid, signal.SIGTERM)

        # Then the stack exits cleanly within the shutdown time, and no process of the group is left
        code = process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        assert code == 0, log_path.read_text(errors="replace")[-3000:]
        stop_by = time.monotonic() + 5
        while _group_alive(pgid) and time.monotonic() < stop_by:
            time.sleep(0.1)
        assert not _group_alive(pgid), "worker processes outlived the stack"
    finally:
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
        if process.poll() is None:
            process.wait(timeout=5)
