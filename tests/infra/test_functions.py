"""The api and worker Lambdas: runtime, handlers, environment contract, logs, SQS event source."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import Synth

POWERTOOLS = {"POWERTOOLS_METRICS_NAMESPACE": "CvAiJobs", "POWERTOOLS_LOG_LEVEL": "INFO"}


def _function(synth: Synth, name: str) -> Any:
    return getattr(synth.stack, name).lambda_function


@pytest.mark.parametrize(
    ("name", "handler", "memory"),
    [
        ("api", "cv_jobs.api.handler.lambda_handler", 512),
        ("worker", "cv_jobs.worker.handler.lambda_handler", 512),
    ],
)
def test_functions_run_python_3_14_on_arm64_with_their_handlers(
    dev: Synth, name: str, handler: str, memory: int
) -> None:
    properties = dev.resource(_function(dev, name).function)["Properties"]

    assert properties["Runtime"] == "python3.14"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == handler
    assert properties["MemorySize"] == memory
    assert properties["TracingConfig"] == {"Mode": "Active"}


def test_api_timeout_is_short_and_worker_timeout_comes_from_config(dev: Synth) -> None:
    assert dev.resource(dev.stack.api.function)["Properties"]["Timeout"] == 10
    assert (
        dev.resource(dev.stack.worker.function)["Properties"]["Timeout"] == dev.config.worker_timeout_seconds
    )


@pytest.mark.parametrize("name", ["api", "worker"])
def test_each_function_logs_to_its_own_group_with_the_configured_retention(dev: Synth, name: str) -> None:
    function = _function(dev, name)
    properties = dev.resource(function.function)["Properties"]
    log_group = dev.resource(function.log_group)

    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": dev.logical_id(function.log_group)}}
    assert log_group["Properties"]["RetentionInDays"] == dev.config.log_retention_days == 14
    assert log_group["DeletionPolicy"] == "Delete"


def test_api_environment_is_the_documented_contract(dev: Synth) -> None:
    env = dev.resource(dev.stack.api.function)["Properties"]["Environment"]["Variables"]

    assert env == {
        **POWERTOOLS,
        "POWERTOOLS_SERVICE_NAME": "cv-ai-jobs-api",
        "JOBS_TABLE_NAME": {"Ref": dev.logical_id(dev.stack.jobs_table.table)},
        "JOBS_QUEUE_URL": {"Ref": dev.logical_id(dev.stack.jobs_queue.queue)},
        "BYOK_KEY_ARN": {"Fn::GetAtt": [dev.logical_id(dev.stack.byok_key.key), "Arn"]},
        "JOB_TTL_SECONDS": "86400",
        "SYSTEM_PATH_ENABLED": "true",
        "CORS_ALLOWED_ORIGINS": "http://localhost:5173,http://127.0.0.1:5173",
        # The system path's daily budgets (cdk.json systemBudget) and their counters' table
        "SYSTEM_BUDGET_TABLE_NAME": {"Ref": dev.logical_id(dev.stack.budget_table.table)},  # type: ignore[union-attr]
        "SYSTEM_BUDGET_DAILY_JOBS": "1000",
        "SYSTEM_BUDGET_DAILY_JOBS_PER_API_KEY": "1000",
        "SYSTEM_BUDGET_DAILY_JOBS_PER_USER": "100",
    }


def test_worker_environment_is_the_documented_contract(dev: Synth) -> None:
    env = dev.resource(dev.stack.worker.function)["Properties"]["Environment"]["Variables"]

    assert env == {
        **POWERTOOLS,
        "POWERTOOLS_SERVICE_NAME": "cv-ai-jobs-worker",
        "JOBS_TABLE_NAME": {"Ref": dev.logical_id(dev.stack.jobs_table.table)},
        "BYOK_KEY_ARN": {"Fn::GetAtt": [dev.logical_id(dev.stack.byok_key.key), "Arn"]},
        "JOB_TTL_SECONDS": "86400",
        "SYSTEM_OPENAI_SECRET_ARN": {"Ref": dev.logical_id(dev.stack.system_secret.secret)},
        "OPENAI_MODEL": dev.config.openai_model,
        "GEMINI_MODEL": dev.config.gemini_model,
        "JOB_SETTINGS": dev.config.job_settings_env,
        "ENVIRONMENT_NAME": "dev",
        "MAX_ATTEMPTS": "3",  # one below maxReceiveCount (4)
        "MAX_RECEIVE_COUNT": "4",
        "JOBS_QUEUE_URL": {"Ref": dev.logical_id(dev.stack.jobs_queue.queue)},
        "RETRY_BASE_SECONDS": "10",
        "RETRY_MAX_SECONDS": "300",  # below the queue's 720 s visibility timeout
    }


def test_prod_runs_the_system_path_within_budgets_and_allows_only_its_origin(prod: Synth) -> None:
    env = prod.resource(prod.stack.api.function)["Properties"]["Environment"]["Variables"]
    log_group = prod.resource(prod.stack.api.lambda_function.log_group)

    # The free tier is on, bounded by daily budgets (tests/infra/test_least_privilege.py checks them)
    assert env["SYSTEM_PATH_ENABLED"] == "true"
    assert "SYSTEM_BUDGET_TABLE_NAME" in env
    assert env["CORS_ALLOWED_ORIGINS"] == "https://app.example.com"
    assert log_group["Properties"]["RetentionInDays"] == 90
    assert log_group["DeletionPolicy"] == "Retain"


def test_worker_consumes_the_queue_reporting_partial_batch_failures(dev: Synth) -> None:
    [mapping] = dev.template.find_resources("AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]

    assert properties["EventSourceArn"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.jobs_queue.queue), "Arn"]}
    assert properties["FunctionName"] == {"Ref": dev.logical_id(dev.stack.worker.function)}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] == dev.config.worker_batch_size == 10
    # Ten records fill one invocation; waiting a second for them is the price (docs/performance.md).
    assert properties["MaximumBatchingWindowInSeconds"] == 1
    assert properties["ScalingConfig"] == {"MaximumConcurrency": dev.config.worker_max_concurrency}
