"""Run the whole service on this machine: `python -m local.run` (from the repository root).

Emulated AWS (moto) provisioned from the same environment settings as the stack, the local API
gateway in front of the real api handler (in this process), and the SQS poller in front of the real
worker handler (in a child process: in the cloud they are two functions that share no memory).
With FAKE_LLM=1 the worker talks to local fake provider servers instead of OpenAI and Gemini.

Environment: LOCAL_ENV (cdk.json environment, default dev), LOCAL_API_PORT (3000), LOCAL_AWS_PORT
(4566), LOCAL_API_KEY (local-dev-key), LOCAL_API_KEYS (more keys, comma-separated: each a separate
client that sees only its own jobs), LOCAL_OIDC_ISSUER / LOCAL_OIDC_AUDIENCE (end-user identity with a
test issuer; see _authorizer_handler), FAKE_LLM, OPENAI_API_KEY (the system key when not faking),
OPENAI_BASE_URL / GEMINI_BASE_URL (provider endpoints when not faking), LOCAL_SQS_CAPTURE_FILE
(append every received SQS message as JSON, for tests), LOCAL_RETRY_VISIBILITY_SECONDS (3),
LOCAL_WORKER_PROCESSES (2; concurrent worker environments, at most the environment's maximum),
LOCAL_PLAYGROUND_PORT (5173, or off: the playground page, local/playground_server.py).
Faults (FAKE_LLM_FAULTS, LOCAL_WORKER_CRASH_RATE, LOCAL_AWS_FAULTS, LOCAL_VISIBILITY_SECONDS, ...):
local/faults/settings.py.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT / "functions", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from infra.config import EnvironmentConfig, environment_config_from_file  # noqa: E402
from local.aws_emulator import FAKE_CREDENTIALS, REGION, AwsEmulator, LocalResources, provision  # noqa: E402
from local.console import ConsoleRouter, log_file_path, log_mode  # noqa: E402
from local.fakes import FakeGeminiServer, FakeOpenAIServer  # noqa: E402
from local.faults.install import install_in_api  # noqa: E402
from local.faults.settings import LocalFaults  # noqa: E402
from local.gateway import LocalGateway  # noqa: E402
from local.playground_server import DEFAULT_PORT, start_playground  # noqa: E402
from local.ports import Port, busy_port  # noqa: E402
from local.sweeper_process import SweeperProcess  # noqa: E402
from local.worker_process import WorkerPool, WorkerProcessSettings  # noqa: E402

HOST = "127.0.0.1"
FAKE_SYSTEM_KEY = "sk-local-fake-system-key"
# As in infra/constructs/ (python_function.py, api.py, worker.py).
API_SERVICE_NAME = "cv-ai-jobs-api"
WORKER_SERVICE_NAME = "cv-ai-jobs-worker"
KEY_CHECK_SERVICE_NAME = "cv-ai-jobs-key-check"
SWEEPER_SERVICE_NAME = "cv-ai-jobs-sweeper"
KEY_CHECK_SECONDS = 6  # infra/constructs/key_check.py's CHECK_SECONDS
METRICS_NAMESPACE = "CvAiJobs"
# Read by the SDKs themselves when no explicit value is passed: removed from the handlers' view so a
# worker that forgot to pass its key cannot quietly work locally.
_PROVIDER_ENV_KEYS = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class FunctionEnvironments:
    api: dict[str, str]
    worker: dict[str, str]
    key_check: dict[str, str]
    sweeper: dict[str, str]


def function_environments(
    config: EnvironmentConfig,
    resources: LocalResources,
    *,
    aws_endpoint: str,
    openai_base_url: str | None,
    gemini_base_url: str | None,
) -> FunctionEnvironments:
    """Each function's variables as the stack sets them (infra/constructs/api.py, worker.py, key_check.py),
    pointed at the local resources, plus what local mode needs (endpoint, fake credentials)."""
    common = {
        "JOBS_TABLE_NAME": resources.table_name,
        "BYOK_KEY_ARN": resources.byok_key_arn,
        "JOB_TTL_SECONDS": str(config.job_ttl_seconds),
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", config.log_level),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }
    api = {
        **common,
        "POWERTOOLS_SERVICE_NAME": API_SERVICE_NAME,
        "JOBS_QUEUE_URL": resources.queue_url,
        "SYSTEM_PATH_ENABLED": "true" if config.system_path_enabled else "false",
        "CORS_ALLOWED_ORIGINS": ",".join(config.cors_allowed_origins),
    }
    if config.system_budget is not None:  # as infra/constructs/api.py
        api.update(SYSTEM_BUDGET_TABLE_NAME=resources.budget_table_name, **config.system_budget.environment())
    worker = {
        **common,
        "POWERTOOLS_SERVICE_NAME": WORKER_SERVICE_NAME,
        "SYSTEM_OPENAI_SECRET_ARN": resources.system_secret_arn,
        "OPENAI_MODEL": config.openai_model,
        "GEMINI_MODEL": config.gemini_model,
        "JOB_SETTINGS": config.job_settings_env,
        "ENVIRONMENT_NAME": config.name,
        "MAX_ATTEMPTS": str(config.worker_max_attempts),
        "MAX_RECEIVE_COUNT": str(config.max_receive_count),
        "JOBS_QUEUE_URL": resources.queue_url,
        "RETRY_BASE_SECONDS": str(config.retry_base_seconds),
        "RETRY_MAX_SECONDS": str(config.retry_max_seconds),
    }
    # Calls no AWS service: the Powertools settings and the models it asks the providers about.
    key_check = {name: value for name, value in common.items() if name.startswith("POWERTOOLS_")} | {
        "POWERTOOLS_SERVICE_NAME": KEY_CHECK_SERVICE_NAME,
        "OPENAI_MODEL": config.openai_model,
        "GEMINI_MODEL": config.gemini_model,
        "JOB_SETTINGS": config.job_settings_env,
        "ENVIRONMENT_NAME": config.name,
        "CORS_ALLOWED_ORIGINS": ",".join(config.cors_allowed_origins),
        "KEY_CHECK_TIMEOUT_SECONDS": str(KEY_CHECK_SECONDS),
    }
    for environment in (worker, key_check):
        if openai_base_url:
            environment["OPENAI_BASE_URL"] = openai_base_url
        if gemini_base_url:
            environment["GEMINI_BASE_URL"] = gemini_base_url
    sweeper = {
        **common,
        "POWERTOOLS_SERVICE_NAME": SWEEPER_SERVICE_NAME,
        "MAX_ATTEMPTS": str(config.worker_max_attempts),
        "MAX_RECEIVE_COUNT": str(config.max_receive_count),
        "QUEUE_VISIBILITY_SECONDS": str(config.queue_visibility_timeout_seconds),
        "WORKER_TIMEOUT_SECONDS": str(config.worker_timeout_seconds),
        "STALE_MARGIN_SECONDS": str(config.stale_margin_seconds),
    }
    for name in ("BYOK_KEY_ARN", "JOB_TTL_SECONDS"):
        sweeper.pop(name, None)
    return FunctionEnvironments(api=api, worker=worker, key_check=key_check, sweeper=sweeper)


def local_worker_environment(worker: dict[str, str], faults: LocalFaults) -> dict[str, str]:
    """Locally a retried job comes back within seconds (LOCAL_RETRY_VISIBILITY_SECONDS caps the
    backoff; the cloud waits from 10 s up to 5 min), and below a shortened visibility timeout; a
    crashed claim's lease ends sooner with LOCAL_LEASE_GRACE_SECONDS."""
    cap = int(os.environ.get("LOCAL_RETRY_VISIBILITY_SECONDS", "3"))
    if faults.visibility_seconds:
        cap = min(cap, max(1, faults.visibility_seconds - 1))
    return {**worker, "RETRY_BASE_SECONDS": "1", "RETRY_MAX_SECONDS": str(cap), **faults.lease_environment()}


def local_sweeper_environment(sweeper: dict[str, str], faults: LocalFaults) -> dict[str, str]:
    """The sweeper reckons with the local queue's visibility and worker timeout when faults shorten
    them, and with a small margin, so a lost job ends in seconds rather than an hour."""
    environment = {**sweeper, "STALE_MARGIN_SECONDS": os.environ.get("LOCAL_STALE_MARGIN_SECONDS", "5")}
    if faults.visibility_seconds:
        environment["QUEUE_VISIBILITY_SECONDS"] = str(faults.visibility_seconds)
    if faults.worker_timeout_seconds:
        environment["WORKER_TIMEOUT_SECONDS"] = str(faults.worker_timeout_seconds)
    return {**environment, **faults.lease_environment()}


class _StartAborted(Exception):
    """SIGINT or SIGTERM arrived before the stack was serving."""


def _abort_start(*_: object) -> None:
    raise _StartAborted


def _authorizer_handler(config: EnvironmentConfig) -> Any:
    """The stack's authorizer, where identity is on: cdk.json's `identity`, or locally a test issuer
    (LOCAL_OIDC_ISSUER, LOCAL_OIDC_AUDIENCE, optional LOCAL_OIDC_JWKS_URI; http on loopback is
    allowed). It runs in this process, like the api."""
    identity = config.identity
    issuer = os.environ.get("LOCAL_OIDC_ISSUER") or (identity.issuer if identity else None)
    if not issuer:
        return None
    os.environ["OIDC_ISSUER"] = issuer
    audience = identity.audience if identity else ""
    os.environ["OIDC_AUDIENCE"] = os.environ.get("LOCAL_OIDC_AUDIENCE") or audience
    jwks_uri = os.environ.get("LOCAL_OIDC_JWKS_URI") or (identity.jwks_uri if identity else None)
    if jwks_uri:
        os.environ["OIDC_JWKS_URI"] = jwks_uri
    from cv_jobs.identity.authorizer import lambda_handler

    return lambda_handler


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
        aws = AwsEmulator(HOST, aws_port).start()
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
        authorizer_handler = _authorizer_handler(config)

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

        _banner(
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


def _banner(
    config: EnvironmentConfig,
    resources: LocalResources,
    *,
    api_url: str,
    playground_line: str,
    aws_endpoint: str,
    api_key: str,
    fake_llm: bool,
    system_key_set: bool,
    openai_base_url: str | None,
    gemini_base_url: str | None,
    fault_lines: list[str] | None = None,
    log_line: str = "",
) -> None:
    providers = (
        "FAKE local servers (FAKE_LLM=1) - no real model is called"
        if fake_llm
        else f"real (OpenAI {openai_base_url or 'api.openai.com'}, "
        f"Gemini {gemini_base_url or 'generativelanguage.googleapis.com'})"
    )
    system_key = "set" if system_key_set else "NOT set (system-path jobs fail: configuration_error)"
    sample = (REPO_ROOT / "samples" / "cv_backend_engineer.txt").relative_to(REPO_ROOT)
    lines = [
        "",
        f"CV AI Jobs - local mode (environment {config.name!r})",
        f"  API           {api_url}   (X-API-Key: {api_key})",
        playground_line,
        "  cvjobs        .venv/bin/cvjobs submit extract --cv samples/cv_backend_engineer.txt --wait",
        f"  AWS endpoint  {aws_endpoint}   (region {REGION}, any credentials)",
        f"  jobs table    {resources.table_name}",
        f"  jobs queue    {resources.queue_url}  (DLQ after {config.max_receive_count} receives)",
        f"  providers     {providers}",
        *(fault_lines or []),
        *([log_line] if log_line else []),
        f"  system key    {system_key}; system path {'on' if config.system_path_enabled else 'off'}",
        "",
        "  Create a job:",
        "    python3 -c 'import json,sys; print(json.dumps({\"cv_text\": open(sys.argv[1]).read()}))' \\",
        f"      {sample} \\",
        f"      | curl -s -X POST {api_url}/ai/jobs/extract -H 'X-API-Key: {api_key}' \\",
        "          -H 'Content-Type: application/json' --data @-",
        "  Poll it:",
        f"    curl -s {api_url}/ai/jobs/<job_id> -H 'X-API-Key: {api_key}'",
        "  Inspect AWS:",
        "    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\",
        f"      .venv/bin/aws --endpoint-url {aws_endpoint} --region {REGION} \\",
        f"      dynamodb scan --table-name {resources.table_name}",
        "",
        "Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
