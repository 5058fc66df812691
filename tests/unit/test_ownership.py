"""A job belongs to the API key (and, with identity on, the user) that created it; anyone else gets
the same 404 as for a job that does not exist."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from cv_jobs.api import handler as api_handler
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.ownership import Owner
from tests.unit.conftest import Aws
from tests.unit.events import api_context, api_event, job_event
from tests.unit.samples import sample


def _as(event: dict[str, Any], key_id: str, user: str | None = None) -> dict[str, Any]:
    event["requestContext"]["identity"]["apiKeyId"] = key_id
    if user is not None:
        event["requestContext"]["authorizer"] = {"principalId": user, "sub": user}
    return event


def _create(key_id: str, user: str | None = None) -> str:
    event = _as(
        api_event("POST", "/ai/jobs/extract", body={"cv_text": sample("cv_backend_engineer.txt")}),
        key_id,
        user,
    )
    response = api_handler.lambda_handler(event, api_context())
    assert response["statusCode"] == 202, response["body"]
    return str(json.loads(response["body"])["job_id"])


def _call(method: str, job_id: str, key_id: str, user: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = api_handler.lambda_handler(
        _as(job_event(method, job_id), key_id, user), api_context()
    )
    return response


def test_the_creating_key_id_is_stored_on_the_job(aws: Aws) -> None:
    # When key A creates a job
    job_id = _create("key-id-a")

    # Then the record names key A as its owner, and the job id is a uuid4
    [item] = [i for i in aws.scan_items() if i["job_id"] == job_id]
    assert item["owner_key"] == "key-id-a"
    assert "owner_user" not in item
    assert uuid.UUID(job_id).version == 4


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_another_api_key_gets_404_for_a_job_it_did_not_create(aws: Aws, method: str) -> None:
    # Given a job created with key A, and an id that exists nowhere
    job_id = _create("key-id-a")
    unknown = str(uuid.uuid4())

    # When key B asks for (or cancels) it, and for the unknown id
    foreign = _call(method, job_id, "key-id-b")
    missing = _call(method, unknown, "key-id-b")

    # Then both answers are the same 404, apart from the id they name
    assert foreign["statusCode"] == missing["statusCode"] == 404
    assert foreign["body"].replace(job_id, "<id>") == missing["body"].replace(unknown, "<id>")
    # and the job is untouched: key A still sees it queued
    assert json.loads(_call("GET", job_id, "key-id-a")["body"])["status"] == "queued"


def test_the_owner_can_read_and_cancel_its_job(aws: Aws) -> None:
    job_id = _create("key-id-a")

    assert _call("GET", job_id, "key-id-a")["statusCode"] == 200
    cancelled = _call("DELETE", job_id, "key-id-a")
    assert cancelled["statusCode"] == 200
    assert json.loads(cancelled["body"])["status"] == "cancelled"


def test_with_identity_on_a_job_belongs_to_the_user_as_well(aws: Aws) -> None:
    # Given a job created by user alice through key A
    job_id = _create("key-id-a", user="alice")

    # When bob (same key), alice (same key) and a caller with no user ask for it
    bob = _call("GET", job_id, "key-id-a", user="bob")
    alice = _call("GET", job_id, "key-id-a", user="alice")
    anonymous = _call("GET", job_id, "key-id-a")

    # Then only alice sees it
    assert alice["statusCode"] == 200
    assert bob["statusCode"] == anonymous["statusCode"] == 404
    [item] = [i for i in aws.scan_items() if i["job_id"] == job_id]
    assert item["owner_user"] == "alice"


def test_an_expired_job_is_gone_for_its_owner_too(aws: Aws) -> None:
    # Given a job whose ttl has passed but which DynamoDB has not deleted yet (deletion is lazy)
    job_id = _create("key-id-a")
    aws.table.update_item(
        Key={"job_id": job_id}, UpdateExpression="SET #t = :t", ExpressionAttributeNames={"#t": "ttl"},
        ExpressionAttributeValues={":t": int(time.time()) - 1},
    )  # fmt: skip

    # Then reading or cancelling it answers 404, and the worker cannot claim it
    assert _call("GET", job_id, "key-id-a")["statusCode"] == 404
    assert _call("DELETE", job_id, "key-id-a")["statusCode"] == 404
    store = JobsStore(aws.table, 86400)
    assert store.claim(job_id, model="gpt-test", lease_seconds=60, now=time.time()) is None


def test_a_job_without_a_recorded_owner_belongs_to_nobody() -> None:
    assert not Owner("key-id-a").owns({"job_id": "x"})
    assert not Owner("key-id-a", "alice").owns({"owner_key": "key-id-a"})
    assert Owner("key-id-a", "alice").owns({"owner_key": "key-id-a", "owner_user": "alice"})


def test_owner_comes_from_the_gateway_context_never_from_headers() -> None:
    # Given an event whose headers claim another key id and user
    event = api_event("GET", "/ai/jobs/x", headers={"X-Api-Key-Id": "key-id-b", "X-User": "bob"})
    _as(event, "key-id-a", user="alice")

    # Then the owner is what API Gateway and the authorizer put in the request context
    assert Owner.from_event(event) == Owner("key-id-a", "alice")
