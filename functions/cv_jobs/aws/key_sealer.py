"""Seals BYOK keys with KMS for their trip through SQS.

The encryption context binds a sealed key to one job and one provider: a sealed attribute copied
onto another job's message does not unseal.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cv_jobs.credentials import ApiKey, Provider


class KeyUnsealingError(Exception):
    """The sealed key did not decrypt for this job. Carries no key material."""


def encryption_context(job_id: str, provider: Provider) -> dict[str, str]:
    return {"purpose": "byok", "job_id": job_id, "provider": provider.value}


class KeySealer:
    def __init__(self, client: Any, key_arn: str) -> None:
        self._client = client
        self._key_arn = key_arn

    def seal(self, api_key: ApiKey, *, job_id: str, provider: Provider) -> bytes:
        response = self._client.encrypt(
            KeyId=self._key_arn,
            Plaintext=api_key.reveal().encode("utf-8"),
            EncryptionContext=encryption_context(job_id, provider),
        )
        return bytes(response["CiphertextBlob"])

    def unseal(self, sealed: bytes, *, job_id: str, provider: Provider) -> ApiKey:
        try:
            response = self._client.decrypt(
                KeyId=self._key_arn,
                CiphertextBlob=sealed,
                EncryptionContext=encryption_context(job_id, provider),
            )
            return ApiKey(bytes(response["Plaintext"]).decode("utf-8"))
        except (ClientError, BotoCoreError, UnicodeDecodeError) as error:
            raise KeyUnsealingError(type(error).__name__) from None
