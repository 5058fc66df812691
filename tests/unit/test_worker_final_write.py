"""The worker's final write of a failure (keep_writing in cv_jobs/worker/retries.py): a terminal
provider failure is recorded even when the jobs table throttles the write, within the same
invocation and without calling the provider again. (test_worker_retries.py has the succeed case.)"""

from __future__ import annotations

from typing import Any

from cv_jobs.credentials import CredentialSource
from cv_jobs.deadline import Deadline
from cv_jobs.worker.messages import Delivery
from tests.unit.conftest import Aws, Providers
from tests.unit.test_worker_retries import client_error, record, runner, sealed
from tests.unit.worker_support import job


class ThrottlesWritesOf:
    """The jobs table, except that its first `times` writes moving a job to `status` are throttled,
    as DynamoDB does when a partition is over its throughput."""

    def __init__(self, table: Any, status: str, times: int) -> None:
        self._table = table
        self._status = status
        self._left = times
        self.attempts = 0  # writes moving a job to `status`, throttled or not
        self.throttled = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def update_item(self, **kwargs: Any) -> Any:
        # JobsStore's final writes set the status from ":final" (jobs_store.py, _finish).
        if (kwargs.get("ExpressionAttributeValues") or {}).get(":final") == self._status:
            self.attempts += 1
            if self._left:
                self._left -= 1
                self.throttled += 1
                raise client_error("ProvisionedThroughputExceededException")
        return self._table.update_item(**kwargs)


def test_a_throttled_failure_write_is_retried_and_the_provider_is_called_once(
    aws: Aws, providers: Providers
) -> None:
    # Given a BYOK job whose key the provider refuses (401: terminal, never retried)
    job_id = record(aws, CredentialSource.USER)
    providers.openai.fail_next(401)
    # and a jobs table that throttles the write recording the failure twice
    table = ThrottlesWritesOf(aws.table, "failed", times=2)

    # When the worker runs it
    runner(aws, table=table).run(Delivery(job_id, sealed(aws, job_id)), Deadline.in_seconds(60))

    # Then the failure was written on the third try, in this invocation
    assert (table.throttled, table.attempts) == (2, 3)
    item = job(aws, job_id)
    assert item["status"] == "failed"
    assert item["error"]["code"] == "invalid_api_key"
    # after exactly one provider call
    assert len(providers.openai.requests) == 1
