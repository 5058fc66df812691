"""Lambda's SQS record → Delivery: what the worker takes from a message, and nothing more.

The job id (body) and the sealed key (attribute) are what a job needs. The job record decides
provider, credential and job type; the message's job type (body) and `provider` attribute are only a
hint that lets the worker claim the job before reading it (one DynamoDB call less per job), and the
claim holds only if the record agrees. An odd or missing hint is ignored, so it can never send a
valid job's message to the DLQ.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cv_jobs.aws.jobs_queue import PROVIDER_ATTRIBUTE, SEALED_KEY_ATTRIBUTE
from cv_jobs.credentials import Provider
from cv_jobs.job_types import NAMES


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
    # What the message says the job is (job type, provider), when it says so in known words: the
    # worker claims with it, on condition that the record says the same.
    hint: tuple[str, Provider] | None = None

    @property
    def job_type(self) -> str | None:
        """For log lines until the record is read (which then says what the job is)."""
        return self.hint[0] if self.hint is not None else None


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
        hint=_hint(body, record),
    )


def _hint(body: dict[str, object], record: SQSRecord) -> tuple[str, Provider] | None:
    job_type = body.get("job_type")
    try:
        attribute = record.message_attributes[PROVIDER_ATTRIBUTE]
        provider = attribute.string_value if attribute is not None else None
    except (KeyError, TypeError, AttributeError):
        return None
    if job_type not in NAMES or provider not in tuple(Provider):
        return None
    return str(job_type), Provider(str(provider))


def _sealed_key(record: SQSRecord) -> bytes | None:
    try:
        attribute = record.message_attributes[SEALED_KEY_ATTRIBUTE]  # None when absent
        if attribute is None or not attribute.binary_value:
            return None
        return base64.b64decode(attribute.binary_value, validate=True) or None
    except (binascii.Error, KeyError, TypeError, AttributeError, ValueError):
        return None
