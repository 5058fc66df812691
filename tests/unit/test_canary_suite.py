"""The canary suite: every path a job or a refusal can take, with keys no redaction pattern knows and
keys JSON must escape, every logger at DEBUG, and then every place a key or a CV could land is
searched for every form of them: the root handler's lines (third-party loggers), the service's
JSON lines, stdout/stderr, HTTP responses and error messages, every SQS message delivered, the queue
and the DLQ, and both DynamoDB tables.

Paths: success (OpenAI BYOK, Gemini BYOK, system key), provider 401 echoing the key, 429 echoing the
key then a redelivery, a seal from another job, an expired seal, a worker crash whose traceback and
third-party log lines carry the key, a duplicate delivery, a poison message into the DLQ, a cancel,
and refusals (swapped headers, whitespace, a lone key header, 422, 413, another client's job)."""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from typing import Any

import boto3
import pytest

from cv_jobs.api import handler as api_handler
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.observability import logger
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker import handler as worker_handler
from local.sqs_poller import SqsPoller
from tests.unit.canary_support import (
    CANARY_KEYS,
    PROXY_KEY,
    QUOTED_KEY,
    REVOKED_KEY,
    SYSTEM_KEY,
    Sinks,
    cv_with_marker,
    every_logger_at_debug,
    leaks,
    lower_every_logger_to_debug,
)
from tests.unit.conftest import Aws, Providers
from tests.unit.events import api_context, api_event, job_event
from tests.unit.samples import sample

FINAL = {"succeeded", "failed", "cancelled"}


class Suite:
    def __init__(self, aws: Aws, providers: Providers, sinks: Sinks, capture_file: str) -> None:
        self.aws, self.providers, self.sinks = aws, providers, sinks
        self.markers: list[str] = []
        self.levels: set[int] = set()  # the service logger's level at each invocation
        queue_arn = aws.sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])
        self.poller = SqsPoller(
            sqs=aws.sqs,
            queue_url=aws.queue_url,
            queue_arn=queue_arn["Attributes"]["QueueArn"],
            worker_handler=self._worker,
            batch_size=10,
            timeout_seconds=60,
            retry_visibility_seconds=0,
            wait_seconds=0,
            capture_file=capture_file,
            log=sinks.printed.append,
        )

    def _worker(self, event: dict[str, Any], context: Any) -> Any:
        lower_every_logger_to_debug()
        self.levels.add(logger.log_level)
        return worker_handler.lambda_handler(event, context)

    def api(self, event: dict[str, Any], key_id: str = "key-a") -> dict[str, Any]:
        event["requestContext"]["identity"]["apiKeyId"] = key_id
        lower_every_logger_to_debug()
        self.levels.add(logger.log_level)
        response: dict[str, Any] = api_handler.lambda_handler(event, api_context())
        self.sinks.responses.append(response)
        return response

    def submit(self, headers: dict[str, str]) -> str:
        marker = f"canary-cv-{uuid.uuid4().hex}"
        self.markers.append(marker)
        body = {"cv_text": cv_with_marker(sample("cv_backend_engineer.txt"), marker)}
        response = self.api(api_event("POST", "/ai/jobs/extract", body=body, headers=headers))
        assert response["statusCode"] == 202, response["body"]
        return str(json.loads(response["body"])["job_id"])

    def status(self, job_id: str) -> dict[str, Any]:
        return dict(json.loads(self.api(job_event("GET", job_id))["body"]))

    def run(self, job_id: str, deliveries: int = 6) -> dict[str, Any]:
        for _ in range(deliveries):
            self.poller.poll_once()
            job = self.status(job_id)
            if job["status"] in FINAL:
                return job
        return self.status(job_id)

    def take_message(self) -> dict[str, Any]:
        [message] = self.aws.receive()
        self.aws.sqs.delete_message(QueueUrl=self.aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return message

    def send(self, body: str, attributes: dict[str, Any]) -> None:
        self.aws.sqs.send_message(QueueUrl=self.aws.queue_url, MessageBody=body, MessageAttributes=attributes)

    def reseal(self, job_id: str, provider: Provider, sealer: KeySealer, seal_job_id: str, key: str) -> None:
        """Replace the job's queued message by one whose sealed key was made by `sealer` for `seal_job_id`."""
        message = self.take_message()
        attributes = dict(message["MessageAttributes"])
        attributes["sealed_key"] = {
            "DataType": "Binary",
            "BinaryValue": sealer.seal(ApiKey(key), job_id=seal_job_id, provider=provider),
        }
        self.send(message["Body"], attributes)


def _openai_error_echoing(key: str, status: int) -> dict[str, Any]:
    # Real providers echo (part of) the key in some errors; this fake echoes all of it.
    return {"error": {"message": f"Incorrect API key provided: {key}.", "type": "invalid_request_error",
                      "code": "invalid_api_key" if status == 401 else "rate_limit_exceeded"}}  # fmt: skip


class CrashingClient:
    """A provider client that breaks the way a careless SDK would: it logs the key through
    third-party loggers and raises with the key in the exception text."""

    def __init__(self, api_key: ApiKey) -> None:
        self._key = api_key.reveal()

    def generate(self, request: Any) -> Any:
        logging.getLogger("httpx").warning("request headers: {'authorization': '%s'}", self._key)
        logging.getLogger("some.sdk").info("using key %r", self._key)
        logging.getLogger("openai").debug("key=%s", self._key)
        raise RuntimeError(f"client exploded holding {self._key}")


@pytest.fixture
def suite_run(
    aws: Aws,
    providers: Providers,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> tuple[Suite, dict[str, dict[str, Any]]]:
    aws.secrets.put_secret_value(SecretId=aws.secret_arn, SecretString=SYSTEM_KEY)
    worker_handler._runner.cache_clear()
    sinks = Sinks()
    suite = Suite(aws, providers, sinks, str(tmp_path / "sqs.jsonl"))
    byok_openai = {"X-User-Provider": "openai", "X-User-Api-Key": PROXY_KEY}
    byok_gemini = {"X-User-Provider": "gemini", "X-User-Api-Key": QUOTED_KEY}
    jobs: dict[str, dict[str, Any]] = {}

    logger.setLevel(logging.DEBUG)
    with every_logger_at_debug(sinks, logger.registered_handler):
        try:
            # Success on each credential path (one with an Idempotency-Key: its record is scanned too)
            keyed_openai = {**byok_openai, "Idempotency-Key": f"canary-idem-{uuid.uuid4()}"}
            for name, headers in (("openai", keyed_openai), ("gemini", byok_gemini), ("system", {})):
                jobs[name] = suite.run(suite.submit(headers))
            # Provider 401 and 429, both echoing the key; the 429 is retried by redelivery
            providers.openai.fail_next(401, _openai_error_echoing(REVOKED_KEY, 401))
            jobs["provider_401"] = suite.run(
                suite.submit({"X-User-Provider": "openai", "X-User-Api-Key": REVOKED_KEY})
            )
            providers.gemini.fail_next(429, {"error": {"code": 429, "message": f"quota for {QUOTED_KEY}",
                                                       "status": "RESOURCE_EXHAUSTED"}})  # fmt: skip
            jobs["rate_limited_then_redelivered"] = suite.run(suite.submit(byok_gemini))
            # A seal made for another job, and a seal whose time is over
            sealer = KeySealer(aws.kms, aws.key_arn)
            job_id = suite.submit(byok_openai)
            suite.reseal(job_id, Provider.OPENAI, sealer, str(uuid.uuid4()), PROXY_KEY)
            jobs["seal_of_another_job"] = suite.run(job_id)
            expired = KeySealer(aws.kms, aws.key_arn, lifetime_seconds=60, clock=lambda: time.time() - 120)
            job_id = suite.submit(byok_gemini)
            suite.reseal(job_id, Provider.GEMINI, expired, job_id, QUOTED_KEY)
            jobs["expired_seal"] = suite.run(job_id)
            # The worker crashes with the key in its exception's message and in third-party log lines
            # (the crash is logged with its type and frames, never its message: cv_jobs/error_summary.py;
            # the formatter's redaction of exception text is tests/unit/test_redaction.py's)
            runner = worker_handler._runner().runner
            real_factory = runner._client_factory
            runner._client_factory = lambda provider, key, settings: CrashingClient(key)
            try:
                jobs["crash"] = suite.run(suite.submit(byok_openai))
            finally:
                runner._client_factory = real_factory
            # A duplicate delivery of a finished job, and a poison message carrying a sealed key
            [first] = [json.loads(line) for line in (tmp_path / "sqs.jsonl").read_text().splitlines()][:1]
            sealed = {
                "DataType": "Binary",
                "BinaryValue": base64.b64decode(first["messageAttributes"]["sealed_key"]["binaryValue"]),
            }
            attributes = {
                "provider": {"DataType": "String", "StringValue": "openai"},
                "credential": {"DataType": "String", "StringValue": "user"},
                "sealed_key": sealed,
            }
            suite.send(first["body"], attributes)
            suite.poller.poll_once()
            jobs["redelivered_after_success"] = suite.status(jobs["openai"]["job_id"])
            suite.send("not json", attributes)
            for _ in range(4):
                suite.poller.poll_once()
            # A cancel before the worker gets to it
            job_id = suite.submit(byok_gemini)
            suite.api(job_event("DELETE", job_id))
            jobs["cancelled"] = suite.run(job_id)
            # Refusals carrying keys
            for headers, body in [
                ({"X-User-Provider": PROXY_KEY, "X-User-Api-Key": "openai-swapped"}, {"cv_text": "x" * 50}),
                (
                    {"X-User-Provider": "openai", "X-User-Api-Key": f"{PROXY_KEY} trailing"},
                    {"cv_text": "x" * 50},
                ),
                ({"X-User-Api-Key": QUOTED_KEY}, {"cv_text": "x" * 50}),
                (byok_gemini, {"cv_text": 5}),
                (byok_openai, {"cv_text": "x" * 400_000}),
            ]:
                refused = suite.api(api_event("POST", "/ai/jobs/extract", body=body, headers=headers))
                assert refused["statusCode"] in (400, 413, 422)
            foreign = suite.api(job_event("GET", jobs["openai"]["job_id"]), key_id="key-b")
            assert foreign["statusCode"] == 404
        finally:
            logger.setLevel(logging.INFO)

    captured = capsys.readouterr()
    sinks.printed += [captured.out, captured.err]
    sinks.delivered = [json.loads(line) for line in (tmp_path / "sqs.jsonl").read_text().splitlines()]
    sinks.left_on_queues += aws.receive(aws.queue_url)
    dead_letters = aws.receive(aws.dlq_url)
    assert [m["Body"] for m in dead_letters] == ["not json"]  # read once: received messages hide
    sinks.left_on_queues += dead_letters
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")  # items as stored, type tags and all
    for table in ("jobs", "budgets"):
        sinks.items += dynamodb.scan(TableName=table)["Items"]
    return suite, jobs


def test_every_path_ran_to_its_expected_end(suite_run: tuple[Suite, dict[str, dict[str, Any]]]) -> None:
    suite, jobs = suite_run
    outcome = {name: (job["status"], (job.get("error") or {}).get("code")) for name, job in jobs.items()}
    assert outcome == {
        "openai": ("succeeded", None),
        "gemini": ("succeeded", None),
        "system": ("succeeded", None),
        "provider_401": ("failed", "invalid_api_key"),
        "rate_limited_then_redelivered": ("succeeded", None),
        "seal_of_another_job": ("failed", "key_unsealing_failed"),
        "expired_seal": ("failed", "key_unsealing_failed"),
        "crash": ("failed", "internal_error"),
        "redelivered_after_success": ("succeeded", None),
        "cancelled": ("cancelled", None),
    }
    # The poison message went to the DLQ (read at the end of the run), with its sealed key attribute
    [dead] = [message for message in suite.sinks.left_on_queues if message["Body"] == "not json"]
    assert dead["Body"] == "not json"
    assert "sealed_key" in dead["MessageAttributes"]


def test_no_sink_holds_a_canary_key_in_any_form(suite_run: tuple[Suite, dict[str, dict[str, Any]]]) -> None:
    suite, _ = suite_run
    sinks = suite.sinks

    # Given that the sinks did record the paths (the search means something)
    root_log, service_log = sinks.root_log.getvalue(), sinks.service_log.getvalue()
    assert "httpx WARNING request headers" in root_log  # a third-party line, at WARNING
    assert "some.sdk INFO using key" in root_log
    assert "job attempt crashed" in service_log
    assert "Traceback" in service_log
    assert "in generate" in service_log  # the crash's frames
    assert suite.levels == {logging.DEBUG}
    assert len(sinks.delivered) >= 12
    assert len(sinks.items) >= 10

    # Then no key is in any of them: raw, JSON-escaped, repr-escaped or base64
    found = {name: leaks(text) for name, text in sinks.by_name().items()}
    assert found == {name: [] for name in found}
    # and the sealed attributes hold ciphertext only
    for message in sinks.delivered:
        sealed = message["messageAttributes"].get("sealed_key")
        if sealed:
            blob = base64.b64decode(sealed["binaryValue"])
            assert not any(key.encode() in blob for key in CANARY_KEYS)


def test_no_cv_text_reaches_logs_or_sqs_and_no_final_record_keeps_it(
    suite_run: tuple[Suite, dict[str, dict[str, Any]]],
) -> None:
    suite, _ = suite_run
    sinks = suite.sinks
    texts = sinks.by_name()
    # (HTTP responses are the owner's own results, which may quote the CV: not a leak.)
    not_stored = {
        name: text for name, text in texts.items() if name not in ("DynamoDB items", "HTTP responses")
    }

    # Each job's CV carried a unique line; none of them is in a log line or an SQS message
    for marker in suite.markers:
        assert [name for name, text in not_stored.items() if marker in text] == []
    # and every job record is final, without its payload or step checkpoints
    jobs = [item for item in sinks.items if "status" in item]
    # and the Idempotency-Key's record beside them holds no CV either
    records = [item for item in sinks.items if item.get("job_id", {}).get("S", "").startswith("idem#")]
    assert len(records) == 1
    assert not [marker for marker in suite.markers if marker in json.dumps(records)]
    assert {item["status"]["S"] for item in jobs} <= FINAL
    assert [item["job_id"]["S"] for item in jobs if "payload" in item or "steps" in item] == []


def test_byok_calls_carry_the_output_token_cap_like_system_calls(
    suite_run: tuple[Suite, dict[str, dict[str, Any]]],
) -> None:
    suite, _ = suite_run
    # Every chat completion sent to OpenAI (user or system key) and every generateContent sent to
    # Gemini (user key) names its cap
    openai_calls = [r for r in suite.providers.openai.requests if r.path.endswith("/chat/completions")]
    gemini_calls = [r for r in suite.providers.gemini.requests if ":generateContent" in r.path]
    settings = WorkerSettings.from_env()  # the worker's configuration in this test
    caps = {provider: settings.call_plan(provider, "extract").max_output_tokens for provider in Provider}
    assert {r.header("authorization") for r in openai_calls} >= {
        f"Bearer {PROXY_KEY}",
        f"Bearer {SYSTEM_KEY}",
    }
    assert {r.header("x-goog-api-key") for r in gemini_calls} == {QUOTED_KEY}
    for request in openai_calls:
        assert request.body["max_completion_tokens"] == caps[Provider.OPENAI]
        assert "max_tokens" not in request.body
    for request in gemini_calls:
        assert request.body["generationConfig"]["maxOutputTokens"] == caps[Provider.GEMINI]
