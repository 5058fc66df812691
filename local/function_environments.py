"""The functions' environments in local mode: each function's variables as the stack sets them
(infra/constructs/), pointed at the emulated AWS, plus what local mode changes (shorter retries and
sweeps, the fault settings), and the in-process authorizer with its issuer settings. local/run.py
starts the functions with them; tests and benchmarks build the same environments from here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from infra.config import EnvironmentConfig
from infra.function_settings import model_variables, sweeper_variables, worker_variables
from local.aws_emulator import FAKE_CREDENTIALS, REGION, LocalResources
from local.faults.settings import LocalFaults

# The system secret's value with FAKE_LLM=1: a key the fake providers accept, never a real one.
FAKE_SYSTEM_KEY = "sk-local-fake-system-key"
# As in infra/constructs/ (python_function.py, api.py, worker.py).
API_SERVICE_NAME = "cv-ai-jobs-api"
WORKER_SERVICE_NAME = "cv-ai-jobs-worker"
KEY_CHECK_SERVICE_NAME = "cv-ai-jobs-key-check"
SWEEPER_SERVICE_NAME = "cv-ai-jobs-sweeper"
KEY_CHECK_SECONDS = 6  # infra/constructs/key_check.py's CHECK_SECONDS
METRICS_NAMESPACE = "CvAiJobs"


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
        "JOBS_QUEUE_URL": resources.queue_url,
        **worker_variables(config),
    }
    # Calls no AWS service: the Powertools settings and the models it asks the providers about.
    key_check = {name: value for name, value in common.items() if name.startswith("POWERTOOLS_")} | {
        "POWERTOOLS_SERVICE_NAME": KEY_CHECK_SERVICE_NAME,
        **model_variables(config),
        "CORS_ALLOWED_ORIGINS": ",".join(config.cors_allowed_origins),
        "KEY_CHECK_TIMEOUT_SECONDS": str(KEY_CHECK_SECONDS),
    }
    for environment in (worker, key_check):
        if openai_base_url:
            environment["OPENAI_BASE_URL"] = openai_base_url
        if gemini_base_url:
            environment["GEMINI_BASE_URL"] = gemini_base_url
    sweeper = {**common, "POWERTOOLS_SERVICE_NAME": SWEEPER_SERVICE_NAME, **sweeper_variables(config)}
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


def local_authorizer_handler(config: EnvironmentConfig) -> Any:
    """The stack's authorizer, where identity is on: cdk.json's `identity`, or locally a test issuer
    (LOCAL_OIDC_ISSUER, LOCAL_OIDC_AUDIENCE, optional LOCAL_OIDC_JWKS_URI; http on loopback is
    allowed). It runs in local.run's process, like the api."""
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
