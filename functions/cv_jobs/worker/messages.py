"""Lambda's SQS record → JobMessage."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cv_jobs.aws.jobs_queue import (
    CREDENTIAL_ATTRIBUTE,
    PROVIDER_ATTRIBUTE,
    SEALED_KEY_ATTRIBUTE,
    JobMessage,
)
from cv_jobs.credentials import CredentialSource, Provider


class PoisonMessage(Exception):
    """A record this service did not write. It is retried and lands in the DLQ for inspection."""


def job_message(record: SQSRecord) -> JobMessage:
    try:
        body = json.loads(record.body)
        attributes = record.message_attributes
        sealed = attributes[SEALED_KEY_ATTRIBUTE]  # the wrapper's [] answers None when absent
        return JobMessage(
            job_id=str(body["job_id"]),
            job_type=str(body["job_type"]),
            provider=Provider(_string(attributes, PROVIDER_ATTRIBUTE)),
            credential=CredentialSource(_string(attributes, CREDENTIAL_ATTRIBUTE)),
            sealed_key=base64.b64decode(sealed.binary_value) if sealed and sealed.binary_value else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise PoisonMessage(f"unreadable job message ({type(error).__name__})") from None


def _string(attributes: Any, name: str) -> str:
    attribute = attributes[name]
    if attribute is None or not attribute.string_value:
        raise KeyError(name)
    return str(attribute.string_value)
