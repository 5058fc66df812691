"""The api answers within its Lambda's time even when a dependency hangs: every AWS call (the system
path's budget spend too) is budgeted from the invocation's remaining time, and `fail_queued` always
gets its chance after a failed send (if it fails too, the client still gets its 503 and the sweeper
ends the job)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from cv_jobs.api import handler as api_handler
from cv_jobs.aws.system_budget import SystemBudget
from local.lambda_context import new_context
from tests.unit.conftest import Aws
from tests.unit.events import api_event
from tests.unit.samples import sample

API_TIMEOUT_SECONDS = 10


@pytest.fixture
def hanging_endpoint() -> Iterator[str]:
    """A TCP server that accepts requests and never answers (a hung SendMessage)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    server.close()


def _post(aws: Aws, timeout_seconds: int = API_TIMEOUT_SECONDS) -> tuple[int, dict[str, Any], float]:
    event = api_event("POST", "/ai/jobs/extract", body={"cv_text": sample("cv_backend_engineer.txt")})
    started = time.monotonic()
    response = api_handler.lambda_handler(
        event, new_context("cv-ai-jobs-api", memory_mb=512, timeout_seconds=timeout_seconds)
    )
    return response["statusCode"], json.loads(response["body"]), time.monotonic() - started


def test_a_hung_send_message_still_answers_503_in_time_and_fails_the_job(
    aws: Aws, hanging_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SQS accepts the connection and never answers
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", hanging_endpoint)
    api_handler._app.cache_clear()
    # When a job is posted to a 10 s api Lambda
    status, body, seconds = _post(aws)
    # Then the client gets 503 before the Lambda would time out
    assert status == 503, body
    assert body["error"]["code"] == "service_unavailable"
    assert seconds < API_TIMEOUT_SECONDS - 0.5
    # And the job was failed, not left queued with no message behind it
    [item] = aws.scan_items()
    assert (item["status"], item["error"]["code"]) == ("failed", "queue_unavailable")


def test_when_fail_queued_fails_too_the_client_still_gets_503_and_the_sweeper_ends_the_job(
    aws: Aws, hanging_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SQS hangs, and DynamoDB refuses every write after the job's record was put
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", hanging_endpoint)
    api_handler._app.cache_clear()
    service = api_handler._app()  # built now, so the store can be reached below
    del service
    from cv_jobs.aws.jobs_store import JobsStore

    def refuse(*_: Any, **__: Any) -> bool:
        raise ConnectionError("dynamodb unreachable")

    monkeypatch.setattr(JobsStore, "fail_queued", refuse)
    # When a job is posted
    status, body, seconds = _post(aws)
    # Then the client is still told, in time
    assert status == 503, body
    assert seconds < API_TIMEOUT_SECONDS - 0.5
    # And the job is queued with no message: exactly what the sweeper ends (tests/unit/test_sweeper.py)
    [item] = aws.scan_items()
    assert item["status"] == "queued"


def test_a_hung_budget_call_answers_503_well_within_the_lambda_and_records_nothing(
    aws: Aws, hanging_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given DynamoDB accepts the connection and never answers, so the system path's budget spend
    # (the first DynamoDB call of a job without BYOK headers) hangs
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", hanging_endpoint)
    api_handler._app.cache_clear()

    # When a system-path job is posted to a 10 s api Lambda
    status, body, seconds = _post(aws)

    # Then the client gets 503 after one short try, well before the Lambda would time out
    # (botocore's defaults, 3 attempts of a 5 s read, took about 15 s)
    assert status == 503, body
    assert body["error"]["code"] == "service_unavailable"
    assert seconds < API_TIMEOUT_SECONDS / 2
    # And no job was recorded: nothing will run, the answer says to submit again
    assert aws.scan_items() == []


def test_a_budget_spend_whose_answer_was_lost_is_retried_with_the_same_request_token(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the budget's DynamoDB transaction lands but its first answer is lost on the way back
    tokens: list[str] = []

    class AnswerLostOnce:
        def __init__(self, dynamodb: Any) -> None:
            self._dynamodb = dynamodb

        def transact_write_items(self, **kwargs: Any) -> Any:
            tokens.append(kwargs["ClientRequestToken"])
            answer = self._dynamodb.transact_write_items(**kwargs)
            if len(tokens) == 1:
                raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
            return answer

    build = api_handler._system_budget

    def budget_with_a_lost_answer() -> SystemBudget | None:
        budget = build()
        assert budget is not None
        return SystemBudget(
            AnswerLostOnce(budget._dynamodb),
            budget._table_name,
            daily_jobs=10_000,
            daily_jobs_per_api_key=10_000,
            daily_jobs_per_user=10_000,
        )

    monkeypatch.setattr(api_handler, "_system_budget", budget_with_a_lost_answer)
    api_handler._app.cache_clear()

    # When a system-path job is posted to an invocation with time for a second try (in a 10 s one,
    # the three calls that must follow the spend leave none: one try, then 503, as the test above)
    status, body, _ = _post(aws, timeout_seconds=20)

    # Then the spend is tried again within the invocation and the job is accepted
    assert status == 202, body
    # And both tries carry one idempotency token, so DynamoDB takes the budget once (a transaction
    # repeated with its token within 10 minutes succeeds without writing again)
    assert len(tokens) == 2
    assert tokens[0] == tokens[1]
