"""What the fault run (make faults) found in the worker, pinned down without dice.

A tailor job's first step was answered, then the write of its checkpoint failed once (an injected
DynamoDB InternalServerError): the attempt ended as internal_error, and the retry paid for the step
again. The final writes (succeed, fail, release) were retried within the invocation's deadline but
the checkpoint write was not, so one transient DynamoDB failure cost a second paid call. Fixed:
runner.py's save retries the checkpoint write like the final ones. (tests/e2e/test_e2e_faults.py's
SMALL_RUN may fail the worker's DynamoDB calls again.)
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from botocore.exceptions import ClientError

from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_key import SystemKeyProvider
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.deadline import Deadline
from cv_jobs.job_types import BY_NAME
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.messages import Delivery
from cv_jobs.worker.runner import JobRunner, RetryLater
from local.examples import example_request
from tests.unit.conftest import Aws, Providers


class _OneFailedWrite:
    """The jobs table, except that its `nth` update_item raises a transient DynamoDB error once."""

    def __init__(self, table: Any, nth: int) -> None:
        self._table = table
        self._left = nth

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._table, name)
        if name != "update_item":
            return attribute

        def update_item(**kwargs: Any) -> Any:
            self._left -= 1
            if self._left == 0:
                raise ClientError(
                    {"Error": {"Code": "InternalServerError", "Message": "injected"}, "ResponseMetadata": {}},
                    "UpdateItem",
                )
            return attribute(**kwargs)

        return update_item


def test_a_transient_failure_of_the_checkpoint_write_does_not_pay_for_the_step_again(
    aws: Aws, providers: Providers
) -> None:
    # Given a tailor job on the system key (two steps: tailor, then evaluate)
    job_id = str(uuid.uuid4())
    request = BY_NAME["tailor"].request_model.model_validate(example_request("tailor"))
    JobsStore(aws.table, 86400).create(
        job_id=job_id,
        job_type="tailor",
        payload=request.model_dump(mode="json"),
        provider=Provider.OPENAI,
        credential=CredentialSource.SYSTEM,
        now=time.time(),
    )
    # and a jobs table whose second update (after the claim: the tailor step's checkpoint) fails once
    worker = JobRunner(
        settings=WorkerSettings.from_env(),
        store=JobsStore(_OneFailedWrite(aws.table, nth=2), 86400),
        sealer=KeySealer(aws.kms, aws.key_arn),
        system_keys=SystemKeyProvider(aws.secrets, aws.secret_arn, cache_seconds=0),
    )

    # When the worker runs it, and again while SQS would bring it back
    for receive in range(1, 4):
        try:
            worker.run(Delivery(job_id, None, receive_count=receive), Deadline.in_seconds(60))
            break
        except RetryLater:
            continue  # released for a retry: the next delivery claims it

    # Then it succeeded, and the tailor step was paid for once
    item = aws.table.get_item(Key={"job_id": job_id}, ConsistentRead=True)["Item"]
    assert item["status"] == "succeeded"
    names = [request.body["response_format"]["json_schema"]["name"] for request in providers.openai.requests]
    assert names.count("tailor_tailor") == 1, names
