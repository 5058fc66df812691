"""The jobs queue. The body names the job; provider and sealed key travel only as attributes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cv_jobs.credentials import CredentialSource, Provider

PROVIDER_ATTRIBUTE = "provider"
CREDENTIAL_ATTRIBUTE = "credential"
SEALED_KEY_ATTRIBUTE = "sealed_key"


@dataclass(frozen=True)
class JobMessage:
    job_id: str
    job_type: str
    provider: Provider
    credential: CredentialSource
    sealed_key: bytes | None


class JobsQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, message: JobMessage) -> None:
        attributes: dict[str, Any] = {
            PROVIDER_ATTRIBUTE: {"DataType": "String", "StringValue": message.provider.value},
            CREDENTIAL_ATTRIBUTE: {"DataType": "String", "StringValue": message.credential.value},
        }
        if message.sealed_key is not None:
            attributes[SEALED_KEY_ATTRIBUTE] = {
                "DataType": "Binary",
                "BinaryValue": message.sealed_key,
            }
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps({"job_id": message.job_id, "job_type": message.job_type}),
            MessageAttributes=attributes,
        )
