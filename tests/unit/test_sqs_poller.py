"""The local stand-in for Lambda's event source mapping deletes what the worker finished as the
mapping does: in one DeleteMessageBatch per batch, never one call per message (each call is a
request to the emulated SQS, and the local stack's throughput is bound by them)."""

from __future__ import annotations

from typing import Any

from local.sqs_poller import SqsPoller
from tests.unit.conftest import Aws


class RecordingSqs:
    """The SQS client, with every call's name written down."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._sqs, name)

        def recorded(**kwargs: Any) -> Any:
            self.calls.append(name)
            return method(**kwargs)

        return recorded


def test_a_batch_is_deleted_in_one_call_and_a_failed_record_stays(aws: Aws) -> None:
    # Given three messages on the queue and a worker that fails the second
    for body in ("one", "two", "three"):
        aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=body)
    seen: list[str] = []

    def worker(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        seen.extend(record["body"] for record in event["Records"])
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "two"]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    sqs = RecordingSqs(aws.sqs)
    poller = SqsPoller(
        sqs=sqs,
        queue_url=aws.queue_url,
        queue_arn="arn:aws:sqs:us-east-1:123456789012:jobs",
        worker_handler=worker,
        batch_size=10,
        timeout_seconds=60,
        retry_visibility_seconds=0,
        wait_seconds=0,
        log=lambda _line: None,
    )
    # When it polls once
    assert poller.poll_once() == 3
    # Then the worker saw all three, the two done went in one batch delete, and the failed one is back
    assert sorted(seen) == ["one", "three", "two"]
    assert sqs.calls.count("delete_message_batch") == 1
    assert "delete_message" not in sqs.calls
    left = aws.sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    assert [message["Body"] for message in left.get("Messages", [])] == ["two"]
