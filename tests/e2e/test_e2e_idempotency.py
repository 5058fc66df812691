"""Through the local stack: a POST retried with its `Idempotency-Key` gets the same job, whose id is a
random uuid4 like any other; the key's record sits in the jobs table beside the jobs, holding no key
or CV, and the stack's scans, GET and the job's run are none the worse for it."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.e2e.support import (
    CANARY_KEYS,
    OPENAI_BYOK_KEY,
    SECOND_CLIENT_API_KEY,
    GatewayClient,
    LocalStack,
    marked_cv,
)

pytestmark = pytest.mark.e2e

BYOK = {"X-User-Provider": "openai", "X-User-Api-Key": OPENAI_BYOK_KEY}


def test_a_retried_post_gets_its_uuid4_job_and_the_keys_record_holds_nothing_secret(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given a job posted with an Idempotency-Key
    cv_text, marker = marked_cv()
    key = f"e2e-idem-{uuid.uuid4()}"
    headers = {**BYOK, "Idempotency-Key": key}
    first = gateway.create_job("extract", {"cv_text": cv_text}, headers)
    assert first.status_code == 202, first.text
    job_id = first.json()["job_id"]

    # When the client retries it, and another client happens to use the same key
    again = gateway.create_job("extract", {"cv_text": cv_text}, headers)
    other = gateway.create_job("extract", {"cv_text": cv_text}, headers, api_key=SECOND_CLIENT_API_KEY)

    # Then the retry is the same job, marked as a replay; the other client's is its own
    assert (again.status_code, again.json()["job_id"]) == (202, job_id)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 202, other.text
    assert other.json()["job_id"] != job_id
    # And both ids are random uuid4s
    assert {uuid.UUID(j).version for j in (job_id, other.json()["job_id"])} == {4}

    # And the table holds one record per client's key beside the jobs: no status, no key, no CV
    items = local_stack.table_items()
    records = [item for item in items if item["job_id"]["S"].startswith("idem#")]
    mine = [r for r in records if r["reserved_job_id"]["S"] in (job_id, other.json()["job_id"])]
    assert len(mine) == 2
    for record in mine:
        text = json.dumps(record)
        assert "status" not in record
        assert marker not in text
        assert key not in text
        assert not [canary for canary in CANARY_KEYS if canary in text]

    # And a record's key is no job id to the api
    refused = gateway.get_job(mine[0]["job_id"]["S"].replace("#", "%23"))
    assert refused.status_code == 404, refused.text

    # And the jobs run to the end as any other
    assert gateway.wait_until_finished(job_id)["status"] == "succeeded"
    done = gateway.request("GET", f"/ai/jobs/{other.json()['job_id']}", api_key=SECOND_CLIENT_API_KEY)
    assert done.status_code == 200
