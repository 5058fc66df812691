"""Retries: transient failures come back after a backoff the worker sets on the message (honouring
the provider's hint), GET says the job waits, KMS and Secrets Manager hiccups are retried while
their real refusals are final, and a throttled final write is tried again rather than lost."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from cv_jobs.api.handler import lambda_handler as api_handler
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_key import SystemKeyProvider
from cv_jobs.credentials import ApiKey, CredentialSource, Provider
from cv_jobs.deadline import Deadline
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.backoff import retry_delay
from cv_jobs.worker.messages import Delivery
from cv_jobs.worker.runner import JobRunner, RetryLater
from tests.unit.conftest import CANARY_OPENAI_KEY, Aws, Providers
from tests.unit.events import api_context, job_event
from tests.unit.samples import sample
from tests.unit.worker_support import OPENAI_BYOK, deliver, job, submit


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


class Failing:
    """Wraps a boto3 client or table: the named operation raises `errors` in turn, then works."""

    def __init__(self, target: Any, operation: str, errors: list[Exception]) -> None:
        self._target = target
        self._operation = operation
        self._errors = list(errors)
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name != self._operation:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self._errors:
                raise self._errors.pop(0)
            return attribute(*args, **kwargs)

        return call


def runner(aws: Aws, *, table: Any = None, kms: Any = None, secrets: Any = None) -> JobRunner:
    settings = WorkerSettings.from_env()
    return JobRunner(
        settings=settings,
        store=JobsStore(table or aws.table, 86400),
        sealer=KeySealer(kms or aws.kms, aws.key_arn),
        system_keys=SystemKeyProvider(secrets or aws.secrets, aws.secret_arn, cache_seconds=0),
    )


def record(aws: Aws, credential: CredentialSource, provider: Provider = Provider.OPENAI) -> str:
    job_id = str(uuid.uuid4())
    JobsStore(aws.table, 86400).create(
        job_id=job_id,
        job_type="extract",
        payload={"cv_text": sample("cv_backend_engineer.txt"), "job_description": None},
        provider=provider,
        credential=credential,
        now=time.time(),
    )
    return job_id


def sealed(aws: Aws, job_id: str) -> bytes:
    return KeySealer(aws.kms, aws.key_arn).seal(
        ApiKey(CANARY_OPENAI_KEY), job_id=job_id, provider=Provider.OPENAI
    )


def test_backoff_grows_exponentially_with_jitter_and_honours_the_hint_under_the_cap() -> None:
    # Given the worker's backoff with a 10 s base and a 300 s cap
    def delay(attempt: int, draw: float, hint: float | None = None) -> int:
        return retry_delay(
            attempt,
            base_seconds=10,
            cap_seconds=300,
            hint_seconds=hint,
            uniform=lambda a, b: a + draw * (b - a),
        )

    # Then each attempt doubles the window, half of it drawn at random
    assert [delay(n, 0.0) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert [delay(n, 1.0) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    # And the provider's hint is a floor, the cap a ceiling
    assert delay(1, 0.0, hint=37.2) == 38
    assert delay(1, 0.0, hint=3600) == 300
    assert delay(9, 1.0) == 300


def test_a_transient_failure_sets_the_messages_visibility_to_the_backoff(
    aws: Aws, providers: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given OpenAI rate-limits the next call and asks for 20 s ("retry-after")
    providers.openai.fail_next(429, headers={"retry-after": "20"})
    job_id = submit(OPENAI_BYOK)
    # When the worker runs it and SQS is left to bring the message back when the worker said
    before = time.time()
    deliver(aws, retry_visibility_seconds=None)
    # Then the message is invisible for now (not the queue's default 30 s: the worker set 20+)
    assert aws.receive() == []
    # And GET says the job waits for attempt 2 of 3, due no sooner than the hint
    response = api_handler(job_event("GET", job_id), api_context())
    view = json.loads(response["body"])
    assert view["status"] == "processing"
    retry = view["retry"]
    assert (retry["code"], retry["attempt"], retry["max_attempts"]) == ("rate_limited", 2, 3)
    due = time.mktime(time.strptime(retry["next_attempt_at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert due >= before + 19
    assert due <= before + 300


def test_the_retry_notice_is_gone_once_the_job_runs_again_and_finishes(
    aws: Aws, providers: Providers
) -> None:
    # Given a job waiting for its second attempt
    providers.openai.fail_next(503)
    job_id = submit(OPENAI_BYOK)
    deliver(aws)
    assert job(aws, job_id)["retry"]["code"] == "provider_unavailable"
    # When the retry succeeds, Then the notice is gone
    deliver(aws)
    item = job(aws, job_id)
    assert item["status"] == "succeeded"
    assert "retry" not in item


@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException"),
        client_error("KMSInternalException", 500),
        EndpointConnectionError(endpoint_url="https://kms"),
    ],
)
def test_kms_throttling_internal_and_network_errors_are_retried(aws: Aws, error: Exception) -> None:
    # Given a BYOK job and KMS failing the way another try can cure
    job_id = record(aws, CredentialSource.USER)
    kms = Failing(aws.kms, "decrypt", [error])
    # When the worker runs it
    with pytest.raises(RetryLater):
        runner(aws, kms=kms).run(Delivery(job_id, sealed(aws, job_id)), Deadline.in_seconds(60))
    # Then the job waits for another attempt instead of failing with key_unsealing_failed
    item = job(aws, job_id)
    assert item["status"] == "processing"
    assert item["retry"]["code"] == "service_unavailable"


@pytest.mark.parametrize(
    "code", ["InvalidCiphertextException", "IncorrectKeyException", "AccessDeniedException"]
)
def test_kms_refusals_fail_the_job_at_once(aws: Aws, code: str) -> None:
    # Given KMS refusing the sealed key for good
    job_id = record(aws, CredentialSource.USER)
    kms = Failing(aws.kms, "decrypt", [client_error(code)])
    # When the worker runs it, Then the job fails with key_unsealing_failed
    runner(aws, kms=kms).run(Delivery(job_id, sealed(aws, job_id)), Deadline.in_seconds(60))
    assert job(aws, job_id)["error"]["code"] == "key_unsealing_failed"


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (client_error("ThrottlingException"), "service_unavailable"),
        (client_error("InternalServiceError", 500), "service_unavailable"),
        (EndpointConnectionError(endpoint_url="https://secretsmanager"), "service_unavailable"),
        (client_error("AccessDeniedException"), "configuration_error"),
        (client_error("ResourceNotFoundException"), "configuration_error"),
    ],
)
def test_secrets_manager_hiccups_are_retried_and_its_refusals_are_final(
    aws: Aws, providers: Providers, error: Exception, outcome: str
) -> None:
    # Given a system-path job and Secrets Manager failing once
    job_id = record(aws, CredentialSource.SYSTEM)
    secrets = Failing(aws.secrets, "get_secret_value", [error])
    # When the worker runs it
    with contextlib.suppress(RetryLater):
        runner(aws, secrets=secrets).run(Delivery(job_id, None), Deadline.in_seconds(60))
    # Then a hiccup leaves the job waiting for a retry, a refusal fails it
    item = job(aws, job_id)
    code = item["retry"]["code"] if item["status"] == "processing" else item["error"]["code"]
    assert code == outcome
    assert item["status"] == ("processing" if outcome == "service_unavailable" else "failed")


def test_a_throttled_final_write_is_retried_and_the_paid_answer_kept(aws: Aws, providers: Providers) -> None:
    # Given a job whose result write is throttled twice (the provider has already answered)
    job_id = record(aws, CredentialSource.USER)
    throttled = client_error("ProvisionedThroughputExceededException")
    table = Failing(aws.table, "update_item", [])
    worker = runner(aws, table=table)
    real_succeed = worker._store.succeed
    failures = [throttled, throttled]

    def flaky_succeed(*args: Any, **kwargs: Any) -> bool:
        if failures:
            raise failures.pop(0)
        return real_succeed(*args, **kwargs)

    worker._store.succeed = flaky_succeed  # type: ignore[method-assign]
    # When the worker runs it
    worker.run(Delivery(job_id, sealed(aws, job_id)), Deadline.in_seconds(60))
    # Then the result was written on the third try, after one provider call
    assert job(aws, job_id)["status"] == "succeeded"
    assert len(providers.openai.requests) == 1
