"""The functions' variables that come from the environment's settings alone (cdk.json), written once
for the stack (infra/constructs/) and local mode (local/function_environments.py). Each side adds
what only it knows: its resources' names (table, queue, key and secret ARNs) and its own extras."""

from __future__ import annotations

from infra.config import EnvironmentConfig


def model_variables(config: EnvironmentConfig) -> dict[str, str]:
    """Which models each job type runs on (the worker, the key check, the model check)."""
    return {
        "OPENAI_MODEL": config.openai_model,
        "GEMINI_MODEL": config.gemini_model,
        "JOB_SETTINGS": config.job_settings_env,
        "ENVIRONMENT_NAME": config.name,
    }


def worker_variables(config: EnvironmentConfig) -> dict[str, str]:
    return {
        "JOB_TTL_SECONDS": str(config.job_ttl_seconds),
        **model_variables(config),
        "MAX_ATTEMPTS": str(config.worker_max_attempts),
        # The last delivery is decided from the message's receive count too.
        "MAX_RECEIVE_COUNT": str(config.max_receive_count),
        # How a failed record's return is timed (ChangeMessageVisibility on JOBS_QUEUE_URL).
        "RETRY_BASE_SECONDS": str(config.retry_base_seconds),
        "RETRY_MAX_SECONDS": str(config.retry_max_seconds),
    }


def sweeper_variables(config: EnvironmentConfig) -> dict[str, str]:
    """The queue's and the worker's limits, from which the sweeper knows when no delivery can end a job."""
    return {
        "MAX_ATTEMPTS": str(config.worker_max_attempts),
        "MAX_RECEIVE_COUNT": str(config.max_receive_count),
        "QUEUE_VISIBILITY_SECONDS": str(config.queue_visibility_timeout_seconds),
        "WORKER_TIMEOUT_SECONDS": str(config.worker_timeout_seconds),
        "STALE_MARGIN_SECONDS": str(config.stale_margin_seconds),
    }
