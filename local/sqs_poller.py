"""A local stand-in for Lambda's SQS event source mapping, feeding the real worker handler.

Like the event source mapping with `ReportBatchItemFailures`, it receives up to `batch_size`
messages, hands them to the worker in Lambda's SQS event format, deletes the records the worker did
not report as failed, and leaves the failed ones on the queue to come back. If the worker raises, or
reports an item identifier that is not in the batch, the whole batch counts as failed. The queue's
redrive policy (moto) moves a message to the DLQ after maxReceiveCount receives.

A failed record comes back when the worker said (it sets the record's visibility before reporting
it), as with Lambda. Tests may pass `retry_visibility_seconds` to bring every failed record back
after that many seconds instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from local.aws_emulator import REGION
from local.lambda_context import LambdaContext, new_context

WorkerHandler = Callable[[dict[str, Any], LambdaContext], Any]


class SqsPoller:
    def __init__(
        self,
        *,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        worker_handler: WorkerHandler,
        batch_size: int,
        timeout_seconds: float,
        retry_visibility_seconds: int | None = None,
        wait_seconds: int = 1,
        capture_file: str | None = None,
        function_name: str = "cv-ai-jobs-local-worker",
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._worker_handler = worker_handler
        self._batch_size = batch_size
        self._timeout_seconds = timeout_seconds
        self._retry_visibility_seconds = retry_visibility_seconds
        self._wait_seconds = wait_seconds  # short, so stop() does not wait for a 20 s long poll
        self._capture_file = capture_file
        self._function_name = function_name
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SqsPoller:
        self._thread = threading.Thread(target=self._run, name="SqsPoller", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling; a batch the worker is processing is allowed to finish."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout_seconds + 5 if timeout is None else timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception as error:  # noqa: BLE001 - keep polling, as the event source mapping does
                self._log(f"[local-sqs] polling failed: {type(error).__name__}: {error}")
                self._stopping.wait(1)

    def poll_once(self) -> int:
        """Receive one batch and run it through the worker. Returns the number of messages."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        self._capture(messages)
        failed_ids = self._invoke([self._record(message) for message in messages])
        by_id = {message["MessageId"]: message for message in messages}
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        self._delete(done)
        for message_id in failed_ids if self._retry_visibility_seconds is not None else ():
            # Bring the retry forward; the redrive policy still counts the receive.
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url,
                ReceiptHandle=by_id[message_id]["ReceiptHandle"],
                VisibilityTimeout=self._retry_visibility_seconds,
            )
        retry = (
            f", retry in {self._retry_visibility_seconds} s"
            if failed_ids and self._retry_visibility_seconds is not None
            else ""
        )
        self._log(f"[local-sqs] batch of {len(messages)}: {len(done)} done, {len(failed_ids)} failed{retry}")
        return len(messages)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        """In one request per batch (a batch is at most 10, SQS's limit), as the mapping does. A
        message it could not delete comes back when its visibility ends, which the worker's claim
        turns into a no-op, as with Lambda."""
        if not messages:
            return
        entries = [
            {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)
        ]
        answer = self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        for failure in answer.get("Failed", []):
            self._log(f"[local-sqs] delete failed ({failure.get('Code')}): the message will come back")

    def _invoke(self, records: list[dict[str, Any]]) -> set[str]:
        """Run the worker; return the ids of the records that stay on the queue."""
        all_ids = {record["messageId"] for record in records}
        context = new_context(self._function_name, memory_mb=1024, timeout_seconds=self._timeout_seconds)
        started = time.monotonic()
        try:
            response = self._worker_handler({"Records": records}, context)
        except Exception as error:  # noqa: BLE001 - a failed invocation fails the batch
            # Lambda's runtime logs an unhandled error's message too.
            self._log(f"[local-sqs] worker raised {type(error).__name__}: {error}")
            self._log("[local-sqs] the whole batch is retried")
            return all_ids
        if time.monotonic() - started > self._timeout_seconds:
            self._log("[local-sqs] worker ran past its timeout: the whole batch is retried")
            return all_ids
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        failures = failures or []
        failed_ids = {item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures}
        if not failed_ids <= all_ids:
            # Lambda's rule: an empty, null or unknown identifier fails the whole batch.
            self._log("[local-sqs] worker reported an unknown itemIdentifier: the whole batch is retried")
            return all_ids
        return {str(message_id) for message_id in failed_ids}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            attribute: dict[str, Any] = {
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            if "StringValue" in value:
                attribute["stringValue"] = value["StringValue"]
            if "BinaryValue" in value:
                attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
            attributes[name] = attribute
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": REGION,
        }
        if message.get("MD5OfMessageAttributes"):
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _capture(self, messages: list[dict[str, Any]]) -> None:
        """Append what SQS delivered (body and attributes; binary ones as base64) for tests."""
        if not self._capture_file:
            return
        lines = []
        for message in messages:
            attributes = {
                name: {
                    "dataType": value["DataType"],
                    **({"stringValue": value["StringValue"]} if "StringValue" in value else {}),
                    **(
                        {"binaryValue": base64.b64encode(value["BinaryValue"]).decode("ascii")}
                        if "BinaryValue" in value
                        else {}
                    ),
                }
                for name, value in (message.get("MessageAttributes") or {}).items()
            }
            entry = {
                "messageId": message["MessageId"],
                "receiveCount": int((message.get("Attributes") or {}).get("ApproximateReceiveCount", 0)),
                "body": message["Body"],
                "messageAttributes": attributes,
            }
            lines.append(json.dumps(entry) + "\n")
        # One append per batch: several worker processes share the file.
        descriptor = os.open(self._capture_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, "".join(lines).encode("utf-8"))
        finally:
            os.close(descriptor)
