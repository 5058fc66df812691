"""What a cold start pays for: the api builds only the AWS clients a request uses and imports no
parser, boto3 or LLM SDK; a Gemini-only batch never imports the openai SDK; a batch of ten runs all
ten records at once. Figures live in benchmarks/ and docs/performance.md; these guard the paths."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cv_jobs.api.handler import lambda_handler as api_handler
from cv_jobs.aws import clients
from cv_jobs.worker.handler import lambda_handler as worker_handler
from local.examples import example_request
from local.fakes import FakeGeminiServer
from local.fakes.base import RecordedRequest, Reply
from tests.unit.conftest import CANARY_GEMINI_KEY, CANARY_OPENAI_KEY, Aws
from tests.unit.events import api_context, api_event, job_event, worker_context
from tests.unit.samples import sample

REPO = Path(__file__).resolve().parents[2]
GEMINI_BYOK = {"X-User-Provider": "gemini", "X-User-Api-Key": CANARY_GEMINI_KEY}
OPENAI_BYOK = {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY}


def _fresh_interpreter(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env={**(env or {}), "PYTHONPATH": f"{REPO / 'functions'}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def built_services(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The AWS services whose clients were built, in order."""
    built: list[str] = []
    original = clients._build

    def record(service: str, *config: Any) -> Any:
        built.append(service)
        return original(service, *config)

    monkeypatch.setattr(clients, "_build", record)
    return built


def _create(headers: dict[str, str]) -> str:
    event = api_event(
        "POST", "/ai/jobs/extract", body={"cv_text": sample("cv_backend_engineer.txt")}, headers=headers
    )
    response = api_handler(event, api_context())
    assert response["statusCode"] == 202, response["body"]
    return str(json.loads(response["body"])["job_id"])


def test_importing_the_api_handler_loads_no_parser_boto3_or_llm_sdk() -> None:
    # Given a fresh interpreter, as Lambda starts one
    # When it imports the api handler
    result = _fresh_interpreter(
        """
        import sys
        import cv_jobs.api.handler
        heavy = ["boto3", "aws_lambda_powertools.utilities.parser", "openai", "httpx", "cv_jobs.api.openapi"]
        print(sorted(name for name in heavy if name in sys.modules))
        """
    )
    # Then none of what no request needs (or only one route needs) was imported
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_registry_imports_a_job_type_only_when_it_is_asked_for() -> None:
    # Given a fresh interpreter with the registry imported
    # When it reads names, paths and membership, then one type by path, then every type
    result = _fresh_interpreter(
        """
        import sys
        from cv_jobs.job_types import BY_NAME, BY_PATH, JOB_TYPES, NAMES
        def loaded():
            return [name for name in NAMES if f"cv_jobs.job_types.{name}" in sys.modules]
        looked_at = (len(JOB_TYPES), "tailor" in BY_NAME, "nope" in BY_PATH, list(BY_PATH)[5])
        print(looked_at, loaded())
        job_type = BY_PATH["inject-keyword"]
        print(job_type.name, job_type is BY_NAME["inject_keyword"], loaded())
        print([job_type.name for job_type in JOB_TYPES] == list(NAMES), len(loaded()))
        """
    )
    # Then names, paths and membership cost no import, a lookup imports that type only, and
    # iterating gives every type in registry order
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "(8, True, False, 'inject-keyword') []",
        "inject_keyword True ['inject_keyword']",
        "True 8",
    ]


@contextmanager
def _local_aws() -> Iterator[dict[str, str]]:
    """The local stack's moto, provisioned, in a process of its own; yields the api's environment.
    (Loading the stack's config validates its job settings against every job type, so it cannot
    happen in the interpreter whose imports a test watches.)"""
    code = """
        import json, sys
        from infra.config import environment_config_from_file
        from local.aws_emulator import AwsEmulator, provision
        from local.function_environments import function_environments
        config = environment_config_from_file("dev")
        with AwsEmulator("127.0.0.1", 0) as aws:
            resources = provision(aws, config, system_openai_key=None)
            envs = function_environments(config, resources, aws_endpoint=aws.endpoint_url,
                                         openai_base_url=None, gemini_base_url=None)
            print(json.dumps(envs.api), flush=True)
            sys.stdin.readline()
        """
    emulator = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env={"PYTHONPATH": f"{REPO / 'functions'}:{REPO}", "PATH": "/usr/bin:/bin"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        assert emulator.stdin is not None
        yield {**json.loads(emulator.stdout.readline()), "POWERTOOLS_LOG_LEVEL": "ERROR"}
        emulator.stdin.write("\n")
        emulator.stdin.flush()
        emulator.wait(timeout=30)
    finally:
        if emulator.poll() is None:
            emulator.kill()
            emulator.wait()


def test_a_poll_imports_no_job_type_and_a_create_only_its_own() -> None:
    # Given a fresh interpreter with the api handler imported, against the local stack's moto
    body = json.dumps(example_request("rephrase"))
    with _local_aws() as env:
        # When it serves a poll, then a create
        result = _fresh_interpreter(
            f"""
            import sys, uuid
            from cv_jobs.api.handler import lambda_handler as api
            from cv_jobs.job_types import NAMES
            from tests.unit.events import api_context, api_event
            def loaded():
                return [name for name in NAMES if f"cv_jobs.job_types.{{name}}" in sys.modules]
            at_import = loaded()
            poll = api(api_event("GET", f"/ai/jobs/{{uuid.uuid4()}}"), api_context())
            after_poll = loaded()
            headers = {{"X-User-Provider": "gemini", "X-User-Api-Key": "{CANARY_GEMINI_KEY}"}}
            create = api_event("POST", "/ai/jobs/rephrase", body={body!r}, headers=headers)
            created = api(create, api_context())
            print(at_import, poll["statusCode"], after_poll, created["statusCode"], loaded())
            """,
            env,
        )
    # Then the poll imported no job type, and the create only the one it names
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[] 404 [] 202 ['rephrase']"


def test_each_function_builds_only_its_own_settings_model() -> None:
    # Given a fresh interpreter
    # When it reads the api's settings class, as the api handler does
    result = _fresh_interpreter(
        """
        import sys
        from cv_jobs.settings import ApiSettings
        others = ["cv_jobs.settings.worker", "cv_jobs.settings.models", "cv_jobs.settings.sweeper",
                  "cv_jobs.llm.job_settings"]
        print(ApiSettings.__module__, sorted(name for name in others if name in sys.modules))
        """
    )
    # Then only the api's module (and the shared base) was imported: no other function's models
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cv_jobs.settings.api []"


def test_a_poll_builds_only_the_dynamodb_client(aws: Aws, built_services: list[str]) -> None:
    # Given a warm api that has never served a request, and a job made without it
    job_id = _create({})
    from cv_jobs.api import handler

    handler._app.cache_clear()
    built_services.clear()
    # When the first request is a poll
    response = api_handler(job_event("GET", job_id), api_context())
    # Then only DynamoDB was reached: no SQS or KMS client was built
    assert response["statusCode"] == 200
    assert set(built_services) == {"dynamodb"}


def test_a_system_path_job_builds_no_kms_client_and_a_byok_job_does(
    aws: Aws, built_services: list[str]
) -> None:
    # Given a fresh api
    # When it creates a job on the system path
    _create({})
    # Then it built DynamoDB's and SQS's clients, not KMS's
    assert set(built_services) == {"dynamodb", "sqs"}
    # When it then creates a BYOK job
    _create(OPENAI_BYOK)
    # Then KMS's client is built, once, for the seal
    assert set(built_services) == {"dynamodb", "kms", "sqs"}
    assert built_services.count("kms") == 1


def test_the_table_adapter_round_trips_what_the_store_writes(aws: Aws) -> None:
    # Given the adapter on the real (moto) table
    table = clients.table("jobs")
    item = {
        "job_id": "a",
        "text": "é 漢字",
        "count": 3,
        "ratio": __import__("decimal").Decimal("0.25"),
        "flag": True,
        "nothing": None,
        "blob": b"\x00\x01",
        "nested": {"list": [1, "two", {"three": False}], "empty": {}},
    }
    # When it puts the item, reads it back and updates it
    table.put_item(Item=item, ConditionExpression="attribute_not_exists(job_id)")
    read = table.get_item(Key={"job_id": "a"}, ConsistentRead=True)["Item"]
    updated = table.update_item(
        Key={"job_id": "a"},
        UpdateExpression="SET #c = #c + :one",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": 1},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    # Then values come back as boto3's resource gives them (numbers as Decimal), and it agrees with it
    assert read == {**item, "count": 3, "blob": b"\x00\x01"}
    assert updated["count"] == 4
    assert aws.table.get_item(Key={"job_id": "a"})["Item"]["nested"] == item["nested"]


def test_the_table_adapter_refuses_floats_as_boto3_does(aws: Aws) -> None:
    # Given the adapter; When it is handed a float; Then it refuses rather than store a rounded number
    with pytest.raises(TypeError, match="Float types are not supported"):
        clients.table("jobs").put_item(Item={"job_id": "b", "score": 0.1})


def test_a_gemini_only_batch_never_imports_the_openai_sdk() -> None:
    # Given a fresh interpreter with the local stack's moto and the fake Gemini server
    # When a Gemini BYOK job is created by the api handler and run by the worker handler
    result = _fresh_interpreter(
        f"""
        import json, os, sys
        from infra.config import environment_config_from_file
        from local.aws_emulator import AwsEmulator, provision
        from local.fakes import FakeGeminiServer
        from local.function_environments import function_environments
        config = environment_config_from_file("dev")
        with AwsEmulator("127.0.0.1", 0) as aws, FakeGeminiServer() as gemini:
            resources = provision(aws, config, system_openai_key=None)
            envs = function_environments(config, resources, aws_endpoint=aws.endpoint_url,
                                         openai_base_url=None, gemini_base_url=gemini.url)
            os.environ.update({{**envs.api, **envs.worker, "POWERTOOLS_LOG_LEVEL": "ERROR"}})
            from cv_jobs.api.handler import lambda_handler as api
            from cv_jobs.worker.handler import lambda_handler as worker
            from local.sqs_poller import SqsPoller
            from tests.unit.events import api_context, api_event, worker_context
            body = {{"cv_text": open("samples/cv_backend_engineer.txt").read()}}
            headers = {{"X-User-Provider": "gemini", "X-User-Api-Key": "{CANARY_GEMINI_KEY}"}}
            created = api(api_event("POST", "/ai/jobs/extract", body=body, headers=headers), api_context())
            assert created["statusCode"] == 202, created
            poller = SqsPoller(sqs=aws.client("sqs"), queue_url=resources.queue_url,
                               queue_arn=resources.queue_arn, worker_handler=worker, batch_size=10,
                               timeout_seconds=60, wait_seconds=1, log=lambda line: None)
            assert poller.poll_once() == 1
            job_id = json.loads(created["body"])["job_id"]
            key = {{"job_id": {{"S": job_id}}}}
            item = aws.client("dynamodb").get_item(TableName=resources.table_name, Key=key)
            print(item["Item"]["status"]["S"], "openai" in sys.modules, len(gemini.requests))
        """
    )
    # Then the job succeeded through Gemini and the openai SDK was never loaded
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "succeeded False 1"


class _MeetingGemini(FakeGeminiServer):
    """Holds each generation until `parties` are in flight at once (or 10 s pass, then 503)."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self._barrier = threading.Barrier(parties, timeout=10)

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "POST":
            try:
                self._barrier.wait()
            except threading.BrokenBarrierError:
                return Reply(503, self.error_body(503))
        return super().route(request)


def test_a_batch_of_ten_runs_all_ten_records_at_once(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given ten Gemini jobs and a provider that answers only once all ten calls are in flight together
    with _MeetingGemini(parties=10) as gemini:
        monkeypatch.setenv("GEMINI_BASE_URL", gemini.url)
        from cv_jobs.worker import handler

        handler._runner.cache_clear()
        for _ in range(10):
            _create(GEMINI_BYOK)
        messages = aws.receive(max_messages=10)
        assert len(messages) == 10
        # When the worker gets them as one batch
        response = worker_handler({"Records": [_record(message) for message in messages]}, worker_context())
    # Then every record succeeded: none waited for another to finish first
    assert response == {"batchItemFailures": []}
    assert [item["status"] for item in aws.scan_items()] == ["succeeded"] * 10


def _record(message: dict[str, Any]) -> dict[str, Any]:
    import base64

    attributes = {
        name: {
            "dataType": value["DataType"],
            **({"stringValue": value["StringValue"]} if "StringValue" in value else {}),
            **(
                {"binaryValue": base64.b64encode(value["BinaryValue"]).decode()}
                if "BinaryValue" in value
                else {}
            ),
        }
        for name, value in message["MessageAttributes"].items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs",
        "awsRegion": "us-east-1",
    }
