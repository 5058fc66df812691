"""The record an `Idempotency-Key` leaves in the jobs table: what it holds (no CV, no key, not the
Idempotency-Key), what happens while the first request is still running, when it ended without a
job or failed having run nothing, when a write's answer was lost; and that nothing else trips over
it (GET and DELETE refuse its key, the sweeper never sees it)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from cv_jobs.api import handler as api_handler
from cv_jobs.api import idempotency as idempotency_module
from cv_jobs.api.idempotency import IdempotentSubmissions, record_key_for
from cv_jobs.aws import clients
from cv_jobs.aws.idempotency_records import RECORD_PREFIX, IdempotencyRecord, IdempotencyRecords
from cv_jobs.aws.jobs_queue import JobsQueue
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.open_jobs import STATUS_INDEX_KEY_ATTRIBUTES, status_index
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.deadline import Deadline
from cv_jobs.errors import JobNotFound
from cv_jobs.job_types import BY_NAME
from cv_jobs.log_keys import job_log_keys
from cv_jobs.ownership import Owner
from cv_jobs.settings import ApiSettings, SweeperSettings
from cv_jobs.sweeper.handler import run_sweep
from tests.unit.conftest import CANARY_OPENAI_KEY, Aws
from tests.unit.events import api_context, job_event
from tests.unit.samples import sample
from tests.unit.test_idempotency import jobs, post, records

KEY = "checkout-7f3a-client-chosen"


def record(aws: Aws) -> dict[str, Any]:
    [item] = records(aws)
    return item


def test_the_record_holds_no_cv_no_key_and_not_the_idempotency_key(aws: Aws) -> None:
    # Given a job posted with an Idempotency-Key and a user's key
    _, body, _ = post(KEY)
    [job] = jobs(aws)
    item = record(aws)
    # Then the record is under a hash that can never be a job id, and names the job
    assert item["job_id"].startswith(RECORD_PREFIX)
    assert item["job_id"] == record_key_for(Owner("key-id-a"), KEY)
    assert item["reserved_job_id"] == body["job_id"]
    # And it holds only these fields: no status (so no index or job write can meet it)
    assert set(item) == {
        "job_id",
        "reserved_job_id",
        "request_hash",
        "token",
        "pending_until",
        "released",
        "ttl",
    }
    # And neither the CV, the user's key nor the Idempotency-Key, in any part
    text = json.dumps(item, default=str)
    for line in sample("cv_backend_engineer.txt").splitlines():
        if len(line) > 12:
            assert line not in text
    assert CANARY_OPENAI_KEY not in text
    assert KEY not in text
    # And it lives exactly as long as the job does
    assert abs(int(item["ttl"]) - int(job["ttl"])) <= 1


def test_a_duplicate_waits_for_the_job_the_first_request_is_still_creating(aws: Aws) -> None:
    # Given a key reserved by a request that has not yet written its job
    store = JobsStore(aws.table, 86400)
    records_store = IdempotencyRecords(aws.table, 86400)
    holder = IdempotencyRecord(
        record_key=record_key_for(Owner("key-id-a"), KEY),
        job_id=str(uuid.uuid4()),
        request_hash="hash-of-the-request",
        token="first-request",
        pending_until=time.time() + 10,
    )
    assert records_store.reserve(holder, time.time())
    waits: list[float] = []

    def first_request_finishes(seconds: float) -> None:
        # While the duplicate waits, the first request records its job
        waits.append(seconds)
        if len(waits) == 2:
            store.create(
                job_id=holder.job_id,
                job_type="extract",
                payload={"cv_text": "..."},
                provider=Provider.OPENAI,
                credential=CredentialSource.USER,
                now=time.time(),
            )

    submissions = IdempotentSubmissions(records_store, store, sleep=first_request_finishes)
    # When the same request arrives under the same key
    outcome = submissions.reserve(Owner("key-id-a"), KEY, "hash-of-the-request", Deadline.in_seconds(9))
    # Then it waited, and is answered with the first request's job
    assert isinstance(outcome, dict)
    assert outcome["job_id"] == holder.job_id
    assert len(waits) == 2


def test_a_duplicate_still_waiting_after_its_wait_is_told_to_retry(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a short wait, and a key whose request has reserved it but not written its job yet
    monkeypatch.setattr(idempotency_module, "WAIT_SECONDS", 0.3)
    api_handler._app.cache_clear()
    _, first, _ = post(KEY)
    aws.table.delete_item(Key={"job_id": first["job_id"]})  # as if not written yet
    # When the same request arrives under the same key
    started = time.monotonic()
    status, body, headers = post(KEY)
    # Then after the wait it is a 409 that says to retry, with Retry-After; nothing was created
    assert (status, body["error"]["code"], headers["retry-after"]) == (409, "idempotency_key_in_use", "1")
    assert body["detail"]
    assert 0.3 <= time.monotonic() - started < 3
    assert jobs(aws) == []
    assert record(aws)["reserved_job_id"] == first["job_id"]


def test_a_key_whose_request_ended_without_a_job_is_taken_over_with_a_new_uuid4(aws: Aws) -> None:
    # Given a key whose request's time is over and whose job was never written (its Lambda died)
    _, first, _ = post(KEY)
    aws.table.delete_item(Key={"job_id": first["job_id"]})
    aws.table.update_item(
        Key={"job_id": record_key_for(Owner("key-id-a"), KEY)},
        UpdateExpression="SET pending_until = :past",
        ExpressionAttributeValues={":past": int(time.time()) - 1},
    )
    # When the client retries
    status, again, headers = post(KEY)
    # Then it gets a new job (a fresh uuid4) and the key names it from now on
    assert (status, headers.get("idempotent-replayed")) == (202, None)
    assert again["job_id"] != first["job_id"]
    assert uuid.UUID(again["job_id"]).version == 4
    assert record(aws)["reserved_job_id"] == again["job_id"]
    assert post(KEY)[1]["job_id"] == again["job_id"]


def test_after_a_503_that_ran_nothing_the_retry_with_the_same_key_makes_a_new_job(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the queue refuses the first POST's message (503: "nothing will run, submit it again")
    real_send = JobsQueue.send

    def unavailable(self: JobsQueue, message: Any) -> None:
        raise ConnectionError("sqs unreachable")

    monkeypatch.setattr(JobsQueue, "send", unavailable)
    status, refused, _ = post(KEY)
    assert (status, refused["error"]["code"]) == (503, "service_unavailable")
    [failed] = jobs(aws)
    assert (failed["status"], failed["error"]["code"]) == ("failed", "queue_unavailable")
    assert record(aws)["released"] is True
    # When the client submits again with the same key, the queue back
    monkeypatch.setattr(JobsQueue, "send", real_send)
    status, again, headers = post(KEY)
    # Then a new job runs: the failed one is not handed back as if it were the answer
    assert (status, again["status"], headers.get("idempotent-replayed")) == (202, "queued", None)
    assert again["job_id"] != failed["job_id"]
    assert len(aws.receive()) == 1


def test_writes_whose_answers_were_lost_are_found_as_this_requests_own(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given DynamoDB applies the first put of the key's record and of the job, and each answer is lost
    real_put = clients.Table.put_item
    lost: list[str] = []

    def put_then_time_out(self: clients.Table, **kwargs: Any) -> Any:
        answer = real_put(self, **kwargs)
        kind = "record" if kwargs["Item"]["job_id"].startswith(RECORD_PREFIX) else "job"
        if kind not in lost:
            lost.append(kind)
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
        return answer

    monkeypatch.setattr(clients.Table, "put_item", put_then_time_out)
    service = api_handler.build_service(ApiSettings.from_env())
    # When a job is posted with a key (each write retried after its timeout; called directly for
    # a deadline that leaves room for the retries, in a log scope as the handler's own)
    with job_log_keys():
        accepted = service.create(
            BY_NAME["extract"],
            json.dumps({"cv_text": sample("cv_backend_engineer.txt")}),
            {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY, "Idempotency-Key": KEY},
            Owner("key-id-a"),
            Deadline.in_seconds(29),
        )
    # Then the retries found their own writes: one job, queued once, named by the key
    assert lost == ["record", "job"]
    assert not accepted.replayed
    [job] = jobs(aws)
    assert job["job_id"] == accepted.body["job_id"]
    assert record(aws)["reserved_job_id"] == job["job_id"]
    assert len(aws.receive()) == 1


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_records_key_is_no_job_id(aws: Aws, method: str) -> None:
    # Given a key's record
    post(KEY)
    before = record(aws)
    # When someone asks for it as a job through the api, URL-encoded or raw
    for job_id in (before["job_id"].replace("#", "%23"), before["job_id"]):
        response = api_handler.lambda_handler(job_event(method, job_id), api_context())
        # Then it is a 404 like any id that is no job's (the route's own pattern refuses `%` and `#`)
        assert response["statusCode"] == 404
        assert json.loads(response["body"])["error"]["code"] in ("route_not_found", "job_not_found")
    # And the service itself refuses it as no UUID, should a gateway ever pass it decoded
    service = api_handler.build_service(ApiSettings.from_env())
    with pytest.raises(JobNotFound):
        (service.get if method == "GET" else service.cancel)(before["job_id"], Owner("key-id-a"))
    # And the record is untouched
    assert record(aws) == before


def test_the_sweeper_never_sees_a_record(aws: Aws) -> None:
    # Given the table's status index, and an idempotent job queued long ago with its key's record
    aws.table.meta.client.update_table(
        TableName="jobs",
        AttributeDefinitions=STATUS_INDEX_KEY_ATTRIBUTES,
        GlobalSecondaryIndexUpdates=[{"Create": status_index()}],
    )
    _, body, _ = post(KEY)
    before = record(aws)
    settings = SweeperSettings(JOBS_TABLE_NAME="jobs")  # default limits: a day makes any open job stale
    # When the sweeper runs a day later (every open job is stale by then)
    report = run_sweep(aws.table, settings, clock=lambda: time.time() + 20_000)
    # Then it saw and ended only the job; the record is as it was
    assert report == {"open_jobs": 1, "failed": 1}
    [job] = jobs(aws)
    assert (job["job_id"], job["status"]) == (body["job_id"], "failed")
    assert record(aws) == before
