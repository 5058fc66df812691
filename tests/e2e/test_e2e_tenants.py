"""Through the local stack (LOCAL_API_KEYS): each API key is a client of its own that sees, polls and
cancels only the jobs it created; to any other, a job is a 404 like one that never existed."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.support import SECOND_CLIENT_API_KEY, GatewayClient, marked_cv

pytestmark = pytest.mark.e2e


def test_a_job_is_invisible_to_another_api_key(gateway: GatewayClient) -> None:
    # Given a job created by the first client
    cv_text, _ = marked_cv()
    created = gateway.create_job("extract", {"cv_text": cv_text})
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]

    # When the second client reads it, cancels it, and reads an id that exists nowhere
    other = {"api_key": SECOND_CLIENT_API_KEY}
    read = gateway.request("GET", f"/ai/jobs/{job_id}", **other)
    cancel = gateway.request("DELETE", f"/ai/jobs/{job_id}", **other)
    unknown = gateway.request("GET", f"/ai/jobs/{uuid.uuid4()}", **other)

    # Then both answers are the unknown id's 404, and the owner's job runs on untouched
    assert read.status_code == cancel.status_code == unknown.status_code == 404
    assert read.json()["error"] == {**unknown.json()["error"], "message": read.json()["error"]["message"]}
    assert read.json()["error"]["code"] == "job_not_found"
    assert gateway.wait_until_finished(job_id)["status"] == "succeeded"


def test_each_api_key_sees_its_own_jobs(gateway: GatewayClient) -> None:
    # Given a job created by the second client
    cv_text, _ = marked_cv()
    created = gateway.create_job("extract", {"cv_text": cv_text}, api_key=SECOND_CLIENT_API_KEY)
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]

    # Then the second client reads it, and the first does not
    assert gateway.request("GET", f"/ai/jobs/{job_id}", api_key=SECOND_CLIENT_API_KEY).status_code == 200
    assert gateway.get_job(job_id).status_code == 404
