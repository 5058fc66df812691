"""Session fixtures: recording fake providers in this process, the local stack as a subprocess,
and the example job of every job type over every route (`example_jobs`).

The stack (`python -m local.run`) gets the fakes' URLs as OPENAI_BASE_URL / GEMINI_BASE_URL with
FAKE_LLM off (as far as the stack knows, these are the real providers) and a canary as its system
OpenAI key. It is stopped with SIGTERM at the end and must exit cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cv_jobs.job_types import JOB_TYPES
from local.examples import example_request
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from tests.e2e.job_runs import ExampleJobs, run_jobs
from tests.e2e.support import (
    GATEWAY_API_KEY,
    REPO_ROOT,
    ROUTES,
    SECOND_CLIENT_API_KEY,
    SHUTDOWN_TIMEOUT_SECONDS,
    STARTUP_TIMEOUT_SECONDS,
    SYSTEM_KEY,
    GatewayClient,
    LocalStack,
    new_marker,
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def fake_gemini() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer() as server:
        yield server


@pytest.fixture(scope="session")
def local_stack(
    tmp_path_factory: pytest.TempPathFactory, fake_openai: FakeOpenAIServer, fake_gemini: FakeGeminiServer
) -> Iterator[LocalStack]:
    workdir = tmp_path_factory.mktemp("local-stack")
    log_path = workdir / "local-run.log"
    capture_path = workdir / "sqs-capture.jsonl"
    api_port, aws_port, playground_port = _free_port(), _free_port(), _free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if name != "FAKE_LLM" and not name.startswith(("AWS_", "POWERTOOLS_"))
    }
    env.update(
        {
            "LOCAL_ENV": "dev",
            "LOCAL_API_PORT": str(api_port),
            "LOCAL_AWS_PORT": str(aws_port),
            # Never the default 5173: a developer's `make run` may hold it (the browser test maps
            # the allowed origin onto this port).
            "LOCAL_PLAYGROUND_PORT": str(playground_port),
            "LOCAL_API_KEY": GATEWAY_API_KEY,
            # A second client (tests/e2e/test_e2e_tenants.py): its own key id, its own jobs.
            "LOCAL_API_KEYS": f"{GATEWAY_API_KEY},{SECOND_CLIENT_API_KEY}",
            "LOCAL_SQS_CAPTURE_FILE": str(capture_path),
            # The functions' JSON lines (the console shows one human line per event).
            "LOCAL_LOG_FILE": str(workdir / "local-run.jsonl"),
            "LOCAL_RETRY_VISIBILITY_SECONDS": "1",
            "OPENAI_BASE_URL": fake_openai.base_url,
            "GEMINI_BASE_URL": fake_gemini.url,
            "OPENAI_API_KEY": SYSTEM_KEY,
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    stack = LocalStack(
        process=process,
        api_url=f"http://127.0.0.1:{api_port}",
        aws_endpoint=f"http://127.0.0.1:{aws_port}",
        log_path=log_path,
        capture_path=capture_path,
        json_log_path=workdir / "local-run.jsonl",
        openai=fake_openai,
        gemini=fake_gemini,
        playground_url=f"http://127.0.0.1:{playground_port}",
    )
    try:
        _wait_until_serving(stack)
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"local stack did not stop on SIGTERM within {SHUTDOWN_TIMEOUT_SECONDS} s")
        assert code == 0, f"local stack exited with {code}:\n{_tail(log_path)}"


def _wait_until_serving(stack: LocalStack) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            pytest.fail(f"local stack exited with {stack.process.returncode}:\n{_tail(stack.log_path)}")
        try:
            # Any answer will do: the gateway starts only after the handlers imported.
            httpx.get(f"{stack.api_url}/ai/jobs/ping", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    stack.process.kill()
    pytest.fail(f"local stack not serving after {STARTUP_TIMEOUT_SECONDS} s:\n{_tail(stack.log_path)}")


@pytest.fixture(scope="session")
def gateway(local_stack: LocalStack) -> GatewayClient:
    return GatewayClient(local_stack.api_url, GATEWAY_API_KEY)


@pytest.fixture(scope="session")
def example_jobs(local_stack: LocalStack, gateway: GatewayClient) -> ExampleJobs:
    """Every registered job type's example request over every route, submitted at once and polled
    to the end; shared by the modules that check results and provider calls."""
    jobs = []
    for job_type in JOB_TYPES:
        for route in ROUTES:
            marker = new_marker()
            jobs.append((job_type, route, example_request(job_type.path, marker=marker), marker))
    return {(ran.job_type.name, ran.route.id): ran for ran in run_jobs(local_stack, gateway, jobs)}
