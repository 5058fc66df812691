"""Lambda's SQS record → Delivery: what the worker takes from a message, and nothing more.

Only the job id (body) and the sealed key (attribute) are read. The job record decides provider,
credential and job type; the message's `provider`/`credential` attributes are informational, so an
odd value there can never send a valid job's message to the DLQ.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cv_jobs.aws.jobs_queue import SEALED_KEY_ATTRIBUTE


class PoisonMessage(Exception):
    """A record this service did not write. It is retried and lands in the DLQ for inspection."""


@dataclass(frozen=True)
class Delivery:
    job_id: str
    # None when absent or unreadable: a BYOK job then fails with key_unsealing_failed.
    sealed_key: bytes | None
    message_id: str = ""
    # SQS's ApproximateReceiveCount: 1 on the first delivery.
    receive_count: int = 1
    # Not read from the message; filled in from the record for log lines.
    job_type: str | None = None


def receive_count(record: SQSRecord) -> int:
    try:
        return max(1, int(record.attributes.approximate_receive_count))
    except (KeyError, TypeError, ValueError):
        return 1


def job_message(record: SQSRecord) -> Delivery:
    try:
        body = json.loads(record.body)
        job_id = body["job_id"]
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise PoisonMessage(f"unreadable job message ({type(error).__name__})") from None
    if not isinstance(job_id, str) or not job_id:
        raise PoisonMessage("unreadable job message (job_id)")
    return Delivery(
        job_id=job_id,
        sealed_key=_sealed_key(record),
        message_id=record.message_id,
        receive_count=receive_count(record),
    )


def _sealed_key(record: SQSRecord) -> bytes | None:
    try:
        attribute = record.message_attributes[SEALED_KEY_ATTRIBUTE]  # None when absent
        if attribute is None or not attribute.binary_value:
            return None
        return base64.b64decode(attribute.binary_value, validate=True) or None
    except (binascii.Error, KeyError, TypeError, AttributeError, ValueError):
        return None
