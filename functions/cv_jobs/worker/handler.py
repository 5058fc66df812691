"""worker Lambda: SQS batches in, partial batch failures out. Wiring only; logic is in runner.py.

The records of one batch run concurrently: the LLM calls are I/O bound, so threads suffice. A record
that fails is given a visibility timeout before it is reported (the job's backoff, the rest of a live
lease, or a backoff by receive count for anything else), so SQS brings it back when it can help.
"""

from __future__ import annotations

# First of all: no garbage collection until the first batch is served (cold_start.py).
from cv_jobs import cold_start

# isort: split
import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
from cv_jobs.aws.transient import error_code
from cv_jobs.deadline import Deadline
from cv_jobs.observability import logger, metrics
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.backoff import retry_delay
from cv_jobs.worker.messages import job_message, receive_count
from cv_jobs.worker.runner import JobRunner, RetryLater


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


class Redelivery:
    """Times a failed record's return with ChangeMessageVisibility (needs the queue's URL)."""

    def __init__(self, sqs: Any, queue_url: str | None) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def after(self, record: SQSRecord, seconds: float) -> None:
        if not self._queue_url:
            return  # the queue's visibility timeout decides
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url,
                ReceiptHandle=record.receipt_handle,
                VisibilityTimeout=max(0, min(int(seconds), 43_200)),
            )
        except Exception as error:  # noqa: BLE001 - the queue's visibility timeout still brings it back
            logger.warning(
                "could not time the redelivery",
                extra={"message_id": record.message_id, "error_class": error_code(error)},
            )


@dataclass(frozen=True)
class _Worker:
    settings: WorkerSettings
    runner: JobRunner
    redelivery: Redelivery


@cache
def _runner() -> _Worker:
    """Everything one warm worker keeps, built from the environment on the first invocation."""
    settings = WorkerSettings.from_env()
    return _Worker(
        settings, build_runner(settings), Redelivery(clients.client("sqs"), settings.jobs_queue_url)
    )


def _process(record: SQSRecord, worker: _Worker, deadline: Deadline) -> None:
    try:
        worker.runner.run(job_message(record), deadline)
    except Exception as error:
        settings = worker.settings
        count = receive_count(record)
        if isinstance(error, RetryLater):
            delay = error.delay_seconds
        else:
            # Unreadable message, or DynamoDB/another dependency failing before the claim.
            delay = retry_delay(
                count, base_seconds=settings.retry_base_seconds, cap_seconds=settings.retry_max_seconds
            )
        worker.redelivery.after(record, delay)
        logger.warning(
            "record failed",
            extra={
                "message_id": record.message_id,
                "receive_count": count,
                "error_class": type(error).__name__,
                "error_code": error_code(error),
                "retry_in_seconds": delay,
            },
        )
        raise


# One thread for every record of the largest batch SQS may deliver (10). asyncio's default executor
# has os.cpu_count() + 4 threads (6 on a 2-vCPU Lambda), which ran a batch of 10 in two waves: twice
# the provider's latency. Threads start on demand and stay for the next batch.
_RECORD_THREADS = ThreadPoolExecutor(max_workers=10, thread_name_prefix="record")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    worker = _runner()
    deadline = Deadline.in_seconds(context.get_remaining_time_in_millis() / 1000)

    async def handle(record: SQSRecord) -> None:
        # As asyncio.to_thread (the context travels with the call), on our own threads.
        call = functools.partial(contextvars.copy_context().run, _process, record, worker, deadline)
        await asyncio.get_running_loop().run_in_executor(_RECORD_THREADS, call)

    # When every record fails, report each one rather than raise: the same retry, without an
    # invocation error that would read as a crash in the metrics.
    processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    try:
        return dict(async_process_partial_response(event, handle, processor, context))
    finally:
        cold_start.first_invocation_served()
