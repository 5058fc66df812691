"""Seals BYOK keys with KMS for their trip through SQS.

The encryption context binds a sealed key to one job, one provider, one purpose and an expiry: a
sealed attribute copied onto another job's message does not unseal, and neither does one past its
time. The expiry travels in clear in front of the ciphertext (KMS does not know time); since it is
part of the context, changing it makes the ciphertext undecryptable, and the worker refuses an
expired seal before it asks KMS at all.

Sealed format: MAGIC (4 bytes) + expiry in epoch seconds (8 bytes, big-endian) + KMS ciphertext.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cv_jobs.aws.transient import is_transient
from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.observability import keep_redacted

PURPOSE = "byok"
# The keys of every BYOK encryption context; the KMS key policy allows exactly these.
CONTEXT_KEYS = ("purpose", "job_id", "provider", "expires_at")
MAGIC = b"CVK1"
_EXPIRY_BYTES = 8
DEFAULT_LIFETIME_SECONDS = 86_400


class KeyUnsealingError(Exception):
    """The sealed key did not decrypt for this job, or its time is over. Carries no key material."""


class KeyServiceUnavailable(KeyUnsealingError):
    """KMS throttled, failed inside or could not be reached: the seal may be fine, so another try
    may unseal it. Only a bad ciphertext, a wrong key or context and access denied are final."""


def encryption_context(job_id: str, provider: Provider, expires_at: int) -> dict[str, str]:
    return {"purpose": PURPOSE, "job_id": job_id, "provider": provider.value, "expires_at": str(expires_at)}


def seal_expiry(sealed: bytes) -> int:
    """The expiry written in front of a sealed key (not yet authenticated: KMS checks it on unseal)."""
    if len(sealed) <= len(MAGIC) + _EXPIRY_BYTES or not sealed.startswith(MAGIC):
        raise KeyUnsealingError("not a sealed key")
    return int.from_bytes(sealed[len(MAGIC) : len(MAGIC) + _EXPIRY_BYTES], "big")


class KeySealer:
    def __init__(
        self,
        client: Any,
        key_arn: str,
        *,
        lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`lifetime_seconds`: how long a seal may be unsealed; the api passes the job's TTL, so a
        seal never outlives its job."""
        self._client = client
        self._key_arn = key_arn
        self._lifetime_seconds = lifetime_seconds
        self._clock = clock

    def seal(self, api_key: ApiKey, *, job_id: str, provider: Provider) -> bytes:
        expires_at = int(self._clock()) + self._lifetime_seconds
        response = self._client.encrypt(
            KeyId=self._key_arn,
            Plaintext=api_key.reveal().encode("utf-8"),
            EncryptionContext=encryption_context(job_id, provider, expires_at),
        )
        return MAGIC + expires_at.to_bytes(_EXPIRY_BYTES, "big") + bytes(response["CiphertextBlob"])

    def unseal(self, sealed: bytes, *, job_id: str, provider: Provider) -> ApiKey:
        expires_at = seal_expiry(sealed)
        if self._clock() >= expires_at:
            raise KeyUnsealingError("seal expired")
        try:
            response = self._client.decrypt(
                KeyId=self._key_arn,
                CiphertextBlob=sealed[len(MAGIC) + _EXPIRY_BYTES :],
                EncryptionContext=encryption_context(job_id, provider, expires_at),
            )
            plaintext = bytes(response["Plaintext"]).decode("utf-8")
        except (ClientError, BotoCoreError, UnicodeDecodeError) as error:
            if is_transient(error):
                raise KeyServiceUnavailable(type(error).__name__) from None
            raise KeyUnsealingError(type(error).__name__) from None
        # Redacted from here to the invocation's last log line, whatever the caller does next.
        keep_redacted(plaintext)
        return ApiKey(plaintext)
