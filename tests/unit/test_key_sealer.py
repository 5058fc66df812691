"""A sealed key unseals only for its job, its provider and within its time."""

from __future__ import annotations

import pytest

from cv_jobs.aws.key_sealer import MAGIC, KeySealer, KeyUnsealingError, encryption_context, seal_expiry
from cv_jobs.credentials import ApiKey, Provider
from tests.unit.conftest import Aws

KEY = ApiKey('org-canary"sealed\\key-0123456789')
JOB = "5f0c2a7e-8a4b-4c1e-9f3a-1b2c3d4e5f60"
OTHER_JOB = "0b9d6a3c-1e2f-4a5b-8c7d-9e0f1a2b3c4d"
NOW = 1_900_000_000.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _sealer(aws: Aws, clock: Clock, lifetime: int = 3600) -> KeySealer:
    return KeySealer(aws.kms, aws.key_arn, lifetime_seconds=lifetime, clock=clock)


def test_a_seal_unseals_for_its_job_and_provider_within_its_lifetime(aws: Aws) -> None:
    # Given a key sealed for a job with a one-hour lifetime
    clock = Clock(NOW)
    sealed = _sealer(aws, clock).seal(KEY, job_id=JOB, provider=Provider.OPENAI)

    # When it is unsealed 59 minutes later
    clock.now += 3540
    unsealed = _sealer(aws, clock).unseal(sealed, job_id=JOB, provider=Provider.OPENAI)

    # Then it is the key, its expiry is written in front, and the key is not in the blob
    assert unsealed == KEY
    assert seal_expiry(sealed) == int(NOW) + 3600
    assert KEY.reveal().encode() not in sealed


def test_an_expired_seal_is_refused_without_asking_kms(aws: Aws) -> None:
    # Given a seal whose lifetime is over
    clock = Clock(NOW)
    sealed = _sealer(aws, clock).seal(KEY, job_id=JOB, provider=Provider.GEMINI)
    clock.now += 3600

    # When the worker unseals it, with a KMS client that must not be called
    class NoKms:
        def decrypt(self, **_: object) -> None:
            raise AssertionError("KMS was asked to decrypt an expired seal")

    # Then it is refused as expired
    with pytest.raises(KeyUnsealingError, match="expired"):
        KeySealer(NoKms(), aws.key_arn, clock=clock).unseal(sealed, job_id=JOB, provider=Provider.GEMINI)


def test_a_seal_with_a_moved_expiry_does_not_unseal(aws: Aws) -> None:
    # Given a seal whose clear-text expiry was pushed a year later
    clock = Clock(NOW)
    sealed = _sealer(aws, clock).seal(KEY, job_id=JOB, provider=Provider.OPENAI)
    later = (seal_expiry(sealed) + 365 * 86400).to_bytes(8, "big")
    forged = MAGIC + later + sealed[len(MAGIC) + 8 :]

    # When it is unsealed, then KMS refuses it: the expiry is part of the encryption context
    with pytest.raises(KeyUnsealingError):
        _sealer(aws, clock).unseal(forged, job_id=JOB, provider=Provider.OPENAI)


@pytest.mark.parametrize(
    ("job_id", "provider"), [(OTHER_JOB, Provider.OPENAI), (JOB, Provider.GEMINI)], ids=["job", "provider"]
)
def test_a_seal_does_not_unseal_for_another_job_or_provider(
    aws: Aws, job_id: str, provider: Provider
) -> None:
    clock = Clock(NOW)
    sealed = _sealer(aws, clock).seal(KEY, job_id=JOB, provider=Provider.OPENAI)

    with pytest.raises(KeyUnsealingError):
        _sealer(aws, clock).unseal(sealed, job_id=job_id, provider=provider)


@pytest.mark.parametrize("blob", [b"", b"CVK1", b"not a seal at all, just bytes"])
def test_anything_that_is_not_a_seal_is_refused(aws: Aws, blob: bytes) -> None:
    with pytest.raises(KeyUnsealingError):
        _sealer(aws, Clock(NOW)).unseal(blob, job_id=JOB, provider=Provider.OPENAI)


def test_the_context_binds_job_provider_purpose_and_expiry() -> None:
    assert encryption_context(JOB, Provider.GEMINI, 123) == {
        "purpose": "byok",
        "job_id": JOB,
        "provider": "gemini",
        "expires_at": "123",
    }
