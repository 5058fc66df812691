"""Exactly-once effect under at-least-once delivery: no second provider call for a step while its
first claim is alive, a redelivery after a crash resumes from the last checkpoint, only the lease
holder writes, and cancel always wins over a late result."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest

from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_key import SystemKeyProvider
from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.deadline import Deadline
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.messages import Delivery
from cv_jobs.worker.providers import build_client
from cv_jobs.worker.runner import JobRunner, RetryLater
from tests.unit.conftest import CANARY_OPENAI_KEY, Aws, Providers
from tests.unit.test_worker_checkpoints import BYOK, calls_per_step, submit_tailor
from tests.unit.worker_support import OPENAI_BYOK, job, submit


class WorkerDied(BaseException):
    """What a Lambda timeout or out-of-memory looks like from inside: nothing after it runs."""


def runner(aws: Aws, *, clock: Any = time.time, die_on_call: int | None = None) -> JobRunner:
    calls = {"n": 0}

    def factory(provider: Provider, key: ApiKey, settings: WorkerSettings) -> Any:
        client = build_client(provider, key, settings)

        class Dying:
            def generate(self, request: Any) -> Any:
                calls["n"] += 1
                if calls["n"] == die_on_call:
                    raise WorkerDied
                return client.generate(request)

        return Dying()

    return JobRunner(
        settings=WorkerSettings.from_env(),
        store=JobsStore(aws.table, 86400, clock=clock),
        sealer=KeySealer(aws.kms, aws.key_arn, clock=clock),
        system_keys=SystemKeyProvider(aws.secrets, aws.secret_arn, cache_seconds=0),
        client_factory=factory,
        clock=clock,
    )


def delivery(aws: Aws, job_id: str) -> Delivery:
    """The job's message as the worker reads it (left on the queue for the test to redeliver)."""
    [message] = [m for m in aws.receive() if json.loads(m["Body"])["job_id"] == job_id]
    aws.sqs.change_message_visibility(
        QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    return Delivery(job_id, message["MessageAttributes"]["sealed_key"]["BinaryValue"], message["MessageId"])


def test_a_duplicate_delivered_while_the_first_attempt_runs_makes_no_second_call(
    aws: Aws, providers: Providers
) -> None:
    # Given a job whose provider call takes a while, and two deliveries of its message at once
    providers.openai.delay_next(1.5)
    job_id = submit(OPENAI_BYOK)
    message = delivery(aws, job_id)
    outcomes: list[Any] = []

    def attempt() -> None:
        try:
            runner(aws).run(message, Deadline.in_seconds(60))
            outcomes.append("ran")
        except RetryLater as later:
            outcomes.append(later.delay_seconds)

    first = threading.Thread(target=attempt)
    first.start()
    time.sleep(0.5)  # the first attempt has claimed the job and is waiting for the provider
    # When the duplicate runs
    attempt()
    first.join()
    # Then the provider was called once, the job succeeded, and the duplicate was told to come back
    # only after the first attempt's lease (not burning a receive right away)
    assert len(providers.openai.requests) == 1
    assert job(aws, job_id)["status"] == "succeeded"
    [delay] = [outcome for outcome in outcomes if outcome != "ran"]
    assert 60 <= delay <= 60 + 30 + 6


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_a_redelivery_after_a_crash_resumes_from_the_last_checkpoint(
    aws: Aws, providers: Providers, provider: str
) -> None:
    # Given a tailor job whose worker died during its second step (the first one checkpointed)
    job_id = submit_tailor(BYOK[provider])
    message = delivery(aws, job_id)
    now = time.time()
    with pytest.raises(WorkerDied):
        runner(aws, die_on_call=2).run(message, Deadline.in_seconds(60))
    item = job(aws, job_id)
    assert item["status"] == "processing"
    assert set(item["steps"]) == {"tailor"}
    server = getattr(providers, provider)
    assert calls_per_step(server) == {"tailor": 1}
    # When the message comes back after the dead attempt's lease ran out
    later = now + 60 + 30 + 1
    runner(aws, clock=lambda: later).run(message, Deadline.in_seconds(60))
    # Then only the step that had not finished was paid for again, and the job succeeded
    assert calls_per_step(server) == {"tailor": 1, "evaluate": 1}
    item = job(aws, job_id)
    assert item["status"] == "succeeded"
    assert int(item["attempts"]) == 2
    assert int(item["usage"]["calls"]) == 2


def test_only_the_lease_holder_writes(aws: Aws) -> None:
    # Given a job whose first attempt's lease expired and a second attempt that took it over
    store = JobsStore(aws.table, 86400)
    job_id = submit(OPENAI_BYOK)
    now = time.time()
    stale = store.claim(job_id, model="m", lease_seconds=1, now=now)
    holder = store.claim(job_id, model="m", lease_seconds=120, now=now + 2)
    assert stale is not None
    assert holder is not None
    error = {"code": "internal_error", "message": "x"}
    # When the first attempt, late, tries every write it could make
    late_writes = {
        "checkpoint": store.checkpoint(job_id, stale, {"tailor": {"output": {}}}, now + 3),
        "release": store.release(job_id, stale, error, now + 3),
        "fail": store.fail(job_id, stale, error, now + 3),
        "succeed": store.succeed(job_id, stale, {"late": True}, {"calls": 1}, now + 3),
    }
    # Then none of them landed and the record is the holder's
    assert late_writes == dict.fromkeys(late_writes, False)
    item = job(aws, job_id)
    assert (item["status"], item["lease_token"]) == ("processing", holder.token)
    assert "steps" not in item
    assert "result" not in item
    assert "retry" not in item
    # And the holder's write lands
    assert store.succeed(job_id, holder, {"ok": True}, {"calls": 1}, now + 4)
    assert job(aws, job_id)["result"] == {"ok": True}


def test_cancel_wins_over_a_late_result(aws: Aws, providers: Providers) -> None:
    # Given a job whose provider is still answering
    providers.openai.delay_next(1.5)
    job_id = submit(OPENAI_BYOK)
    message = delivery(aws, job_id)
    worker = threading.Thread(target=runner(aws).run, args=(message, Deadline.in_seconds(60)))
    worker.start()
    time.sleep(0.5)
    # When the user cancels it before the answer arrives
    JobsStore(aws.table, 86400).cancel(job_id, time.time())
    worker.join()
    # Then the job stays cancelled and the late result is dropped, although the call was made
    item = job(aws, job_id)
    assert item["status"] == "cancelled"
    assert "result" not in item
    assert "usage" not in item
    assert len(providers.openai.requests) == 1


@pytest.mark.parametrize("late", ["fail", "release", "fail_stale", "claim"])
def test_nothing_moves_a_cancelled_job(aws: Aws, late: str) -> None:
    # Given a job cancelled while an attempt held it
    store = JobsStore(aws.table, 86400)
    job_id = submit({"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY})
    now = time.time()
    claim = store.claim(job_id, model="m", lease_seconds=-1, now=now)
    assert claim is not None
    store.cancel(job_id, now + 1)
    error = {"code": "rate_limited", "message": "x"}
    # When a late writer (the attempt, the sweeper, a redelivery) acts on it
    outcome = {
        "fail": lambda: store.fail(job_id, claim, error, now + 2),
        "release": lambda: store.release(job_id, claim, error, now + 2),
        "fail_stale": lambda: store.fail_stale(job_id, error, now + 2),
        "claim": lambda: store.claim(job_id, model="m", lease_seconds=60, now=now + 2),
    }[late]()
    # Then it is refused and the job stays cancelled
    assert outcome in (False, None)
    assert job(aws, job_id)["status"] == "cancelled"


def test_a_fresh_job_id_is_never_reused_by_the_worker(aws: Aws) -> None:
    # A message naming a job that does not exist is acknowledged without any write.
    ghost = str(uuid.uuid4())
    runner(aws).run(Delivery(ghost, None), Deadline.in_seconds(60))
    assert aws.table.get_item(Key={"job_id": ghost}).get("Item") is None
