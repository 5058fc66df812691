"""Run the whole service on this machine: `python -m local.run` (from the repository root).

Emulated AWS (moto) provisioned from the same environment settings as the stack, the local API
gateway in front of the real api handler (in this process), and the SQS poller in front of the real
worker handler (in a child process: in the cloud they are two functions that share no memory).
With FAKE_LLM=1 the worker talks to local fake provider servers instead of OpenAI and Gemini.

Environment: LOCAL_ENV (cdk.json environment, default dev), LOCAL_API_PORT (3000), LOCAL_AWS_PORT
(4566), LOCAL_API_KEY (local-dev-key), LOCAL_API_KEYS (more keys, comma-separated: each a separate
client that sees only its own jobs), LOCAL_OIDC_ISSUER / LOCAL_OIDC_AUDIENCE (end-user identity with a
test issuer; see local/function_environments.py), FAKE_LLM, OPENAI_API_KEY (the system key when not faking),
OPENAI_BASE_URL / GEMINI_BASE_URL (provider endpoints when not faking), LOCAL_SQS_CAPTURE_FILE
(append every received SQS message as JSON, for tests), LOCAL_RETRY_VISIBILITY_SECONDS (3),
LOCAL_WORKER_PROCESSES (2; concurrent worker environments, at most the environment's maximum),
LOCAL_PLAYGROUND_PORT (5173, or off: the playground page, local/playground_server.py),
LOCAL_AWS_OWN_PROCESS (1: moto runs in a process of its own, with a core of its own; 0: in a thread
of this one).
Faults (FAKE_LLM_FAULTS, LOCAL_WORKER_CRASH_RATE, LOCAL_AWS_FAULTS, LOCAL_VISIBILITY_SECONDS, ...):
local/faults/settings.py.

This module starts the parts in order and stops them in reverse; the functions' environments are
local/function_environments.py, the banner local/banner.py.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from functools import partial
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT / "functions", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from infra.config import environment_config_from_file  # noqa: E402
from local.aws_emulator import AwsEmulator, provision  # noqa: E402
from local.banner import print_banner  # noqa: E402
from local.console import ConsoleRouter, log_file_path, log_mode  # noqa: E402
from local.fakes import FakeGeminiServer, FakeOpenAIServer  # noqa: E402
from local.faults.install import install_in_api  # noqa: E402
from local.faults.settings import LocalFaults  # noqa: E402
from local.function_environments import (  # noqa: E402
    FAKE_SYSTEM_KEY,
    function_environments,
    local_authorizer_handler,
    local_sweeper_environment,
    local_worker_environment,
)
from local.gateway import LocalGateway  # noqa: E402
from local.playground_server import DEFAULT_PORT, start_playground  # noqa: E402
from local.ports import Port, busy_port  # noqa: E402
from local.sweeper_process import SweeperProcess  # noqa: E402
from local.worker_process import WorkerPool, WorkerProcessSettings  # noqa: E402

HOST = "127.0.0.1"
# Read by the SDKs themselves when no explicit value is passed: removed from the handlers' view so a
# worker that forgot to pass its key cannot quietly work locally.
_PROVIDER_ENV_KEYS = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class _StartAborted(Exception):
    """SIGINT or SIGTERM arrived before the stack was serving."""


def _abort_start(*_: object) -> None:
    raise _StartAborted


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    config = environment_config_from_file(os.environ.get("LOCAL_ENV", "dev"))
    fake_llm = _flag("FAKE_LLM")
    api_port = int(os.environ.get("LOCAL_API_PORT", "3000"))
    aws_port = int(os.environ.get("LOCAL_AWS_PORT", "4566"))
    # Several clients: each key its own API key id, so each sees only its own jobs.
    more_api_keys = [key.strip() for key in os.environ.get("LOCAL_API_KEYS", "").split(",") if key.strip()]
    api_key = os.environ.get("LOCAL_API_KEY") or (more_api_keys[0] if more_api_keys else "local-dev-key")
    system_key = FAKE_SYSTEM_KEY if fake_llm else os.environ.get("OPENAI_API_KEY") or None
    try:
        faults = LocalFaults.from_env()
        logs = log_mode()
    except ValueError as error:
        _log(f"[local] {error}")
        return 2
    ports = [
        Port(api_port, "LOCAL_API_PORT", "the API"),
        Port(aws_port, "LOCAL_AWS_PORT", "the emulated AWS"),
    ]
    if fake_llm:
        ports += [
            Port(faults.fake_openai_port, "LOCAL_FAKE_OPENAI_PORT", "the fake OpenAI"),
            Port(faults.fake_gemini_port, "LOCAL_FAKE_GEMINI_PORT", "the fake Gemini"),
        ]
    problem = busy_port(HOST, ports)
    if problem is not None:
        _log(f"error: {problem}")
        return 1
    for name in _PROVIDER_ENV_KEYS:
        os.environ.pop(name, None)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    # During start-up a signal aborts whatever is starting; once serving, it ends the wait below.
    signal.signal(signal.SIGINT, _abort_start)
    signal.signal(signal.SIGTERM, _abort_start)
    stopping = threading.Event()

    started: list[Any] = []  # stopped in reverse order
    # One human line per event on the console, the full JSON lines in a file (local/console.py).
    router = ConsoleRouter(log_file_path()).start() if logs == "human" else None
    if router is not None:
        _log(f"[local] starting; full JSON logs in {router.log_file}")
    try:
        own_process = os.environ.get("LOCAL_AWS_OWN_PROCESS", "1") != "0"
        aws = AwsEmulator(HOST, aws_port, own_process=own_process).start()
        started.append(aws)
        resources = provision(aws, config, system_openai_key=system_key)
        faults.shorten_visibility(aws.client("sqs"), resources.queue_url)

        openai_base_url = os.environ.get("OPENAI_BASE_URL")
        gemini_base_url = os.environ.get("GEMINI_BASE_URL")
        fake_urls: dict[str, str] = {}
        if fake_llm:
            plan, seed = faults.provider_faults, faults.seed
            fake_openai = FakeOpenAIServer(HOST, faults.fake_openai_port, faults=plan, seed=seed).start()
            fake_gemini = FakeGeminiServer(HOST, faults.fake_gemini_port, faults=plan, seed=seed).start()
            started += [fake_openai, fake_gemini]
            openai_base_url, gemini_base_url = fake_openai.base_url, fake_gemini.url
            fake_urls = {"OpenAI": fake_openai.url, "Gemini": fake_gemini.url}

        environments = function_environments(
            config,
            resources,
            aws_endpoint=aws.endpoint_url,
            openai_base_url=openai_base_url,
            gemini_base_url=gemini_base_url,
        )
        # The api runs in this process; the worker processes get their own environment.
        for name in ("OPENAI_BASE_URL", "GEMINI_BASE_URL"):
            os.environ.pop(name, None)
        os.environ.update(environments.api)
        install_in_api()  # LOCAL_AWS_FAULTS, before the api builds its clients
        # Imported only now: the handlers read their settings from the environment set above.
        from cv_jobs.api.handler import lambda_handler as api_handler
        from cv_jobs.job_types import JOB_TYPES
        from cv_jobs.key_check.handler import make_handler
        from cv_jobs.settings import KeyCheckSettings

        # The key check runs in this process too, with the settings the stack gives its function
        # (its log lines carry the api's service name: one process, one logger).
        key_check_handler = make_handler(partial(KeyCheckSettings.model_validate, environments.key_check))
        authorizer_handler = local_authorizer_handler(config)

        # The worker is a separate function: its own processes, started with this environment.
        worker_processes = int(os.environ.get("LOCAL_WORKER_PROCESSES", "2"))
        workers = WorkerPool(
            WorkerProcessSettings(
                aws_endpoint=aws.endpoint_url,
                queue_url=resources.queue_url,
                queue_arn=resources.queue_arn,
                batch_size=config.worker_batch_size,
                timeout_seconds=faults.worker_timeout_seconds or config.worker_timeout_seconds,
                # The worker times each retry itself (ChangeMessageVisibility), as in the cloud.
                retry_visibility_seconds=None,
                capture_file=os.environ.get("LOCAL_SQS_CAPTURE_FILE") or None,
                environment=local_worker_environment(environments.worker, faults),
                not_inherited=tuple(sorted(set(environments.api) - set(environments.worker))),
            ),
            size=max(1, min(worker_processes, config.worker_max_concurrency)),
        ).start()
        started.append(workers)
        started.append(
            SweeperProcess(
                local_sweeper_environment(environments.sweeper, faults),
                interval_seconds=float(os.environ.get("LOCAL_SWEEP_SECONDS", "10")),
            ).start()
        )
        gateway = LocalGateway(
            api_handler=api_handler,
            key_check_handler=key_check_handler,
            api_key=api_key,
            api_keys=more_api_keys,
            authorizer_handler=authorizer_handler,
            cors_origins=config.cors_allowed_origins,
            job_paths=[job_type.path for job_type in JOB_TYPES],
            host=HOST,
            port=api_port,
            log=_log,
        ).start()
        started.append(gateway)
        playground, playground_line = start_playground(
            api_url=gateway.url,
            api_key=api_key,
            environment=config.name,
            fake_llm=fake_llm,
            cors_origins=config.cors_allowed_origins,
            host=HOST,
            port_setting=os.environ.get("LOCAL_PLAYGROUND_PORT", str(DEFAULT_PORT)),
        )
        if playground is not None:
            started.append(playground)

        print_banner(
            config,
            resources,
            api_url=gateway.url,
            playground_line=playground_line,
            aws_endpoint=aws.endpoint_url,
            api_key=api_key,
            fake_llm=fake_llm,
            system_key_set=system_key is not None,
            openai_base_url=openai_base_url,
            gemini_base_url=gemini_base_url,
            fault_lines=faults.banner_lines(fake_urls),
            log_line=(
                f"  logs          one line per event here; all JSON lines in {router.log_file} "
                "(LOCAL_LOG=json: here instead)"
                if router is not None
                else "  logs          the functions' JSON lines, as CloudWatch gets them (LOCAL_LOG=json)"
            ),
        )
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        stopping.wait()
        _log("[local] stopping...")
    except _StartAborted:
        _log("[local] start-up interrupted; stopping...")
    finally:
        for component in reversed(started):
            component.stop()
        if router is not None:
            router.stop()
    _log("[local] stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
