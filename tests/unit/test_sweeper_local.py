"""The sweeper through the functions' own DynamoDB adapter (clients.table), as the Lambda and local
mode run it: the status index is paged and typed like boto3's resource would give it."""

from __future__ import annotations

import time
import uuid
from typing import Any

from cv_jobs.aws import clients
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.open_jobs import open_jobs
from cv_jobs.credentials import CredentialSource, Provider
from tests.unit.conftest import Aws

# The fixture that gives the jobs table its status index.
from tests.unit.test_sweeper import table as table


def test_open_jobs_pages_through_the_status_index_with_the_functions_adapter(aws: Aws, table: Any) -> None:
    # Given more open jobs than one small page holds, and a finished one
    store = JobsStore(table, 86400)
    ids = []
    for _ in range(7):
        ids.append(str(uuid.uuid4()))
        store.create(
            job_id=ids[-1],
            job_type="extract",
            payload={"cv_text": "x"},
            provider=Provider.GEMINI,
            credential=CredentialSource.USER,
            now=time.time(),
        )
    store.cancel(ids[0], time.time())
    adapter = clients.table("jobs")
    paged = _Paged(adapter, limit=2)
    # When the sweeper's reader lists the open jobs through the adapter
    found = list(open_jobs(paged))
    # Then every open job is found once, with the projected fields typed
    assert sorted(job.job_id for job in found) == sorted(ids[1:])
    assert {job.item["provider"] for job in found} == {"gemini"}
    assert all(job.attempts == 0 and job.lease_expires_at is None for job in found)
    assert paged.pages > 3


class _Paged:
    def __init__(self, table: Any, limit: int) -> None:
        self._table = table
        self._limit = limit
        self.pages = 0

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.pages += 1
        return dict(self._table.query(Limit=self._limit, **kwargs))
