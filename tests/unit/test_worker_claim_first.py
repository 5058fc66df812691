"""The worker claims a job with what its message says the job is, before reading it: one DynamoDB
call less per job. The record stays the truth: the claim holds only if the record agrees, and a
message that disagrees or says nothing known costs a read, never a job run the wrong way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cv_jobs.aws import clients
from tests.unit.conftest import Aws, Providers
from tests.unit.worker_support import GEMINI_BYOK, OPENAI_BYOK, deliver, job, submit


@pytest.fixture
def table_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The jobs table operations called (api's and worker's), in order."""
    calls: list[str] = []
    original = clients.Table._call

    def record(self: clients.Table, operation: str, arguments: Any, kwargs: Any) -> Any:
        calls.append(operation)
        return original(self, operation, arguments, kwargs)

    monkeypatch.setattr(clients.Table, "_call", record)
    return calls


def _resend(aws: Aws, *, body: dict[str, Any] | None = None, provider: str | None = None) -> None:
    """Replace the queued message by one whose body or provider attribute says something else."""
    [message] = aws.receive()
    aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    attributes = dict(message["MessageAttributes"])
    if provider is not None:
        attributes["provider"] = {"DataType": "String", "StringValue": provider}
    aws.sqs.send_message(
        QueueUrl=aws.queue_url,
        MessageBody=json.dumps(body) if body is not None else message["Body"],
        MessageAttributes=attributes,
    )


def test_a_job_is_claimed_without_a_read_and_finished_in_two_writes(
    aws: Aws, providers: Providers, table_calls: list[str]
) -> None:
    # Given a queued BYOK job, its message as the api sent it
    job_id = submit(OPENAI_BYOK)
    table_calls.clear()
    # When the worker runs it
    deliver(aws)
    # Then it claimed the job and wrote its result, and read nothing first
    assert job(aws, job_id)["status"] == "succeeded"
    assert table_calls == ["update_item", "update_item"]


def test_a_message_that_names_another_provider_runs_the_job_as_its_record_says(
    aws: Aws, providers: Providers, table_calls: list[str]
) -> None:
    # Given an OpenAI job whose message says Gemini
    job_id = submit(OPENAI_BYOK)
    _resend(aws, provider="gemini")
    table_calls.clear()
    # When the worker runs it
    deliver(aws)
    # Then the hinted claim was refused, the record read, and the job claimed and run on OpenAI
    assert table_calls == ["update_item", "get_item", "update_item", "update_item"]
    record = job(aws, job_id)
    assert (record["status"], record["provider"]) == ("succeeded", "openai")
    assert record["model"] == "gpt-test"
    assert (len(providers.openai.requests), len(providers.gemini.requests)) == (1, 0)


def test_a_message_that_names_another_job_type_runs_the_job_as_its_record_says(
    aws: Aws, providers: Providers
) -> None:
    # Given an extract job whose message says it is a rephrase
    job_id = submit(GEMINI_BYOK)
    _resend(aws, body={"job_id": job_id, "job_type": "rephrase"})
    # When the worker runs it
    deliver(aws)
    # Then it ran as the record's extract: its result is a CV (CVData)
    record = job(aws, job_id)
    assert (record["status"], record["job_type"]) == ("succeeded", "extract")
    assert "personal" in record["result"]


@pytest.mark.parametrize(
    "body",
    [{"job_type": "no-such-type"}, {"job_type": 7}, {}],
    ids=["unknown type", "not a string", "no type"],
)
def test_a_message_without_a_known_job_type_costs_a_read_and_nothing_else(
    aws: Aws, providers: Providers, table_calls: list[str], body: dict[str, Any]
) -> None:
    # Given a job whose message names no job type the registry knows
    job_id = submit(OPENAI_BYOK)
    _resend(aws, body={"job_id": job_id, **body})
    table_calls.clear()
    # When the worker runs it
    deliver(aws)
    # Then it read the record, claimed as the record says and succeeded
    assert table_calls == ["get_item", "update_item", "update_item"]
    assert job(aws, job_id)["status"] == "succeeded"


def test_a_finished_job_is_left_alone_after_the_refused_claim(
    aws: Aws, providers: Providers, table_calls: list[str]
) -> None:
    # Given a job that already succeeded, and a duplicate of its message (sent once it had: were
    # both on the queue at once, one batch could take both and the test would depend on moto)
    job_id = submit(OPENAI_BYOK)
    [message] = aws.receive()
    aws.sqs.change_message_visibility(
        QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    deliver(aws)
    finished = job(aws, job_id)
    assert finished["status"] == "succeeded"
    aws.sqs.send_message(
        QueueUrl=aws.queue_url, MessageBody=message["Body"], MessageAttributes=message["MessageAttributes"]
    )
    table_calls.clear()
    # When the duplicate is delivered
    deliver(aws)
    # Then its claim was refused, the record read, and nothing written or called again
    assert table_calls == ["update_item", "get_item"]
    assert job(aws, job_id) == finished
    assert len(providers.openai.requests) == 1
