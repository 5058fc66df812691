"""Session fixtures: recording fake providers in this process, the local stack as a subprocess,
and the example job of every job type over every route (`example_jobs`).

The stack (`python -m local.run`) gets the fakes' URLs as OPENAI_BASE_URL / GEMINI_BASE_URL with
FAKE_LLM off (as far as the stack knows, these are the real providers) and a canary as its system
OpenAI key. It is stopped with SIGTERM at the end and must exit cleanly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cv_jobs.job_types import JOB_TYPES
from local.child_stack import ChildStack, StackNotServing, free_port
from local.examples import example_request
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from tests.e2e.job_runs import ExampleJobs, run_jobs
from tests.e2e.support import (
    GATEWAY_API_KEY,
    ROUTES,
    SECOND_CLIENT_API_KEY,
    SHUTDOWN_TIMEOUT_SECONDS,
    STARTUP_TIMEOUT_SECONDS,
    SYSTEM_KEY,
    GatewayClient,
    LocalStack,
    new_marker,
)


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
    api_port, aws_port, playground_port = free_port(), free_port(), free_port()
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
    child = ChildStack(env, log_path, f"http://127.0.0.1:{api_port}")
    stack = LocalStack(
        child=child,
        api_url=child.api_url,
        aws_endpoint=f"http://127.0.0.1:{aws_port}",
        log_path=log_path,
        capture_path=capture_path,
        json_log_path=workdir / "local-run.jsonl",
        openai=fake_openai,
        gemini=fake_gemini,
        playground_url=f"http://127.0.0.1:{playground_port}",
    )
    try:
        child.start(STARTUP_TIMEOUT_SECONDS)
    except StackNotServing as error:
        pytest.fail(str(error))
    try:
        yield stack
    finally:
        code = child.stop(SHUTDOWN_TIMEOUT_SECONDS)
        if code is None:
            pytest.fail(f"local stack did not stop on SIGTERM within {SHUTDOWN_TIMEOUT_SECONDS} s")
        assert code == 0, f"local stack exited with {code}:\n{child.tail()}"


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
