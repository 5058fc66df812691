"""Helpers for the worker's tests: submit through the api handler, deliver SQS batches through the
real worker handler (as the event source mapping would), read records, burn receives."""

from __future__ import annotations

import json
from typing import Any

from cv_jobs.api.handler import lambda_handler as api_handler
from cv_jobs.worker.handler import lambda_handler as worker_handler
from local.sqs_poller import SqsPoller
from tests.unit.conftest import CANARY_GEMINI_KEY, CANARY_OPENAI_KEY, Aws
from tests.unit.events import api_context, api_event
from tests.unit.samples import sample

OPENAI_BYOK = {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY}
GEMINI_BYOK = {"X-User-Provider": "gemini", "X-User-Api-Key": CANARY_GEMINI_KEY}


def submit(headers: dict[str, str], path: str = "extract", body: dict[str, Any] | None = None) -> str:
    body = body if body is not None else {"cv_text": sample("cv_backend_engineer.txt")}
    response = api_handler(api_event("POST", f"/ai/jobs/{path}", body=body, headers=headers), api_context())
    assert response["statusCode"] == 202, response["body"]
    return str(json.loads(response["body"])["job_id"])


def deliver(aws: Aws, *, retry_visibility_seconds: int | None = 0) -> int:
    """One SQS batch through the worker. `retry_visibility_seconds=None` leaves a failed record's
    visibility to the worker, as Lambda does; 0 brings it back at once (tests that retry)."""
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    poller = SqsPoller(
        sqs=aws.sqs,
        queue_url=aws.queue_url,
        queue_arn=queue_arn,
        worker_handler=worker_handler,
        batch_size=10,
        timeout_seconds=60,
        retry_visibility_seconds=retry_visibility_seconds,
        wait_seconds=0,
        log=lambda _line: None,
    )
    return poller.poll_once()


def sqs_record(aws: Aws, message: dict[str, Any], *, timeout_seconds: float = 60) -> dict[str, Any]:
    """A received message as the event source mapping hands it to the worker."""
    poller = SqsPoller(
        sqs=aws.sqs,
        queue_url=aws.queue_url,
        queue_arn="arn:aws:sqs:us-east-1:123456789012:jobs",
        worker_handler=worker_handler,
        batch_size=1,
        timeout_seconds=timeout_seconds,
    )
    return poller._record(message)


def burn_receive(aws: Aws) -> None:
    """One receive that never reached the worker (a throttled invocation, a lost delivery)."""
    [message] = aws.receive()
    aws.sqs.change_message_visibility(
        QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )


def job(aws: Aws, job_id: str) -> dict[str, Any]:
    return dict(aws.table.get_item(Key={"job_id": job_id}, ConsistentRead=True)["Item"])
