"""The api's two cold-start shortcuts: garbage collection paused until the first request is served
(cv_jobs/cold_start.py), and botocore told which services exist instead of listing its data folders
(cv_jobs/aws/clients.py). Both must change nothing but the time they save."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cv_jobs import cold_start
from cv_jobs.api.handler import lambda_handler as api_handler
from cv_jobs.aws import clients
from cv_jobs.worker.handler import lambda_handler as worker_handler
from tests.unit.conftest import Aws
from tests.unit.events import api_context, api_event, worker_context

REPO = Path(__file__).resolve().parents[2]

_GC_AFTER_IMPORT_AND_FIRST_REQUEST = """
    import gc
    import {handler}
    from cv_jobs import cold_start
    print(gc.isenabled(), cold_start.paused())
    cold_start.first_invocation_served()
    cold_start.first_invocation_served()
    print(gc.isenabled(), cold_start.paused(), gc.get_freeze_count() > 0)
"""


def _fresh_interpreter(code: str, env: dict[str, str]) -> list[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env={**env, "PYTHONPATH": f"{REPO / 'functions'}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("handler", ["cv_jobs.api.handler", "cv_jobs.worker.handler"])
def test_in_lambda_collection_is_paused_by_the_import_and_resumes_after_the_first_request(
    handler: str,
) -> None:
    # Given a Lambda execution environment (the runtime sets AWS_LAMBDA_FUNCTION_NAME)
    # When the function's handler module is imported, then its first invocation is served (twice told)
    code = _GC_AFTER_IMPORT_AND_FIRST_REQUEST.format(handler=handler)
    lines = _fresh_interpreter(code, {"AWS_LAMBDA_FUNCTION_NAME": "cv-ai-jobs"})
    # Then collection was off during the cold start, and is on again after it, what the cold start
    # built frozen out of the collector's sight
    assert lines == ["False True", "True False True"]


@pytest.mark.parametrize("handler", ["cv_jobs.api.handler", "cv_jobs.worker.handler"])
def test_outside_lambda_the_import_leaves_the_collector_alone(handler: str) -> None:
    # Given a process that is not a Lambda execution environment (a test run, the local stack)
    # When it imports a handler module
    lines = _fresh_interpreter(_GC_AFTER_IMPORT_AND_FIRST_REQUEST.format(handler=handler), {})
    # Then the collector was never paused, and telling it the first request was served freezes nothing
    assert lines == ["True False", "True False False"]


def test_the_handler_resumes_collection_even_when_its_first_request_fails(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an api whose routing fails on the first request
    told: list[bool] = []
    monkeypatch.setattr(cold_start, "first_invocation_served", lambda: told.append(True))
    from cv_jobs.api import handler

    @functools.cache
    def broken_app() -> None:
        raise RuntimeError("routing failed")

    monkeypatch.setattr(handler, "_app", broken_app)
    # When the request is served (and fails)
    with pytest.raises(RuntimeError):
        api_handler(api_event("GET", "/ai/jobs/whatever"), api_context())
    # Then the cold start was still declared over, so the collector does not stay off for good
    assert told == [True]


def test_the_worker_resumes_collection_after_its_first_batch(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a worker about to serve its first batch: one message this service did not write
    told: list[bool] = []
    monkeypatch.setattr(cold_start, "first_invocation_served", lambda: told.append(True))
    record = {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": "not a job",
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs",
    }
    # When it is served (the record fails)
    response = worker_handler({"Records": [record]}, worker_context())
    # Then the cold start was declared over all the same
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert told == [True]


def test_a_client_built_with_the_known_services_loader_works_and_an_unknown_service_is_refused(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a fresh session (no client built yet in this process)
    monkeypatch.setattr(clients, "_session", None)
    monkeypatch.setattr(clients, "_services", set())
    # When a DynamoDB client is built and used, then SQS's
    dynamodb = clients._build("dynamodb", clients.API_CONFIG)
    tables = dynamodb.list_tables()["TableNames"]
    clients._build("sqs", clients.API_CONFIG)
    # Then they work against the (moto) service, and the loader names exactly the services built
    assert tables
    loader = clients._session.get_component("data_loader")  # type: ignore[union-attr]
    assert loader.list_available_services("service-2") == ["dynamodb", "sqs"]
    # And a service that is not one of clients.SERVICES is refused before botocore is asked
    with pytest.raises(ValueError, match="'no-such-service' is not one of the services"):
        clients._build("no-such-service", clients.API_CONFIG)
