"""worker Lambda: SQS batches in, partial batch failures out. Wiring only; logic is in runner.py.

The records of one batch run concurrently: the LLM calls are I/O bound, so threads suffice."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cv_jobs.aws import clients
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_key import SystemKeyProvider
from cv_jobs.observability import logger, metrics
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.messages import job_message
from cv_jobs.worker.runner import Deadline, JobRunner


def build_runner(settings: WorkerSettings) -> JobRunner:
    return JobRunner(
        settings=settings,
        store=JobsStore(clients.table(settings.jobs_table_name), settings.job_ttl_seconds),
        sealer=KeySealer(clients.client("kms"), settings.byok_key_arn),
        system_keys=SystemKeyProvider(
            clients.client("secretsmanager"),
            settings.system_openai_secret_arn,
            cache_seconds=settings.system_key_cache_seconds,
        ),
    )


@cache
def _runner() -> JobRunner:
    return build_runner(WorkerSettings.from_env())


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    runner = _runner()
    deadline = Deadline.in_seconds(context.get_remaining_time_in_millis() / 1000)

    async def handle(record: SQSRecord) -> None:
        await asyncio.to_thread(runner.run, job_message(record), deadline)

    # When every record fails, report each one rather than raise: the same retry, without an
    # invocation error that would read as a crash in the metrics.
    processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(async_process_partial_response(event, handle, processor, context))
