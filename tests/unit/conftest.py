"""Unit-test fixtures: moto in-process with the resources the stack creates, and the handlers'
environment pointing at them."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

# Powertools reads these when the logger and metrics objects are created, at import time, as
# Lambda does with its configuration; so they are set before the handlers are imported.
os.environ["POWERTOOLS_SERVICE_NAME"] = "cv-ai-jobs-test"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "CvAiJobsTest"

from cv_jobs.api import handler as api_handler
from cv_jobs.observability import logger
from cv_jobs.worker import handler as worker_handler
from local.fakes import FakeGeminiServer, FakeOpenAIServer

REGION = "us-east-1"

CANARY_OPENAI_KEY = "sk-canary-openai-byok-0123456789abcdef"
CANARY_GEMINI_KEY = "AIza-canary-gemini-byok-0123456789"
CANARY_SYSTEM_KEY = "sk-canary-system-0123456789abcdef"
CANARIES = (CANARY_OPENAI_KEY, CANARY_GEMINI_KEY, CANARY_SYSTEM_KEY)


@dataclass
class Aws:
    table: Any
    sqs: Any
    kms: Any
    secrets: Any
    queue_url: str
    dlq_url: str
    key_arn: str
    secret_arn: str
    env: dict[str, str]

    def scan_items(self) -> list[dict[str, Any]]:
        return self.table.scan()["Items"]

    def receive(self, queue_url: str | None = None, max_messages: int = 10) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=queue_url or self.queue_url,
            MaxNumberOfMessages=max_messages,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        table = dynamodb.create_table(
            TableName="jobs",
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.create_table(
            TableName="budgets",
            KeySchema=[{"AttributeName": "counter", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "counter", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = boto3.client("sqs", region_name=REGION)
        dlq_url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queue_url = sqs.create_queue(
            QueueName="jobs",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
            },
        )["QueueUrl"]
        kms = boto3.client("kms", region_name=REGION)
        key_arn = kms.create_key(Description="byok")["KeyMetadata"]["Arn"]
        secrets = boto3.client("secretsmanager", region_name=REGION)
        secret_arn = secrets.create_secret(Name="system-openai", SecretString=CANARY_SYSTEM_KEY)["ARN"]
        env = {
            "JOBS_TABLE_NAME": "jobs",
            "JOBS_QUEUE_URL": queue_url,
            "BYOK_KEY_ARN": key_arn,
            "JOB_TTL_SECONDS": "86400",
            "SYSTEM_PATH_ENABLED": "true",
            # Budgets of the system path, generous here; tests/unit/test_system_budget.py tightens them.
            "SYSTEM_BUDGET_TABLE_NAME": "budgets",
            "SYSTEM_BUDGET_DAILY_JOBS": "10000",
            "SYSTEM_BUDGET_DAILY_JOBS_PER_API_KEY": "10000",
            "SYSTEM_BUDGET_DAILY_JOBS_PER_USER": "10000",
            "CORS_ALLOWED_ORIGINS": "https://app.example.com,http://localhost:5173",
            "SYSTEM_OPENAI_SECRET_ARN": secret_arn,
            "OPENAI_MODEL": "gpt-test",
            "GEMINI_MODEL": "gemini-test",
            "MAX_ATTEMPTS": "3",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        api_handler._app.cache_clear()
        worker_handler._runner.cache_clear()
        yield Aws(table, sqs, kms, secrets, queue_url, dlq_url, key_arn, secret_arn, env)
        api_handler._app.cache_clear()
        worker_handler._runner.cache_clear()


class Logs:
    """What the service's logger wrote during a test (the same JSON lines CloudWatch gets)."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    def messages(self) -> list[str]:
        return [json.loads(line)["message"] for line in self.text.splitlines() if line.startswith("{")]


@pytest.fixture
def logs() -> Iterator[Logs]:
    handler = logger.registered_handler
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        yield Logs(stream)
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]


@dataclass
class Providers:
    openai: FakeOpenAIServer
    gemini: FakeGeminiServer


@pytest.fixture(scope="session")
def _provider_servers() -> Iterator[Providers]:
    with FakeOpenAIServer() as openai_server, FakeGeminiServer() as gemini_server:
        yield Providers(openai_server, gemini_server)


@pytest.fixture
def providers(_provider_servers: Providers, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Providers]:
    """Recording fake OpenAI and Gemini servers (real HTTP on loopback), the worker pointed at them."""
    _provider_servers.openai.clear()
    _provider_servers.gemini.clear()
    monkeypatch.setenv("OPENAI_BASE_URL", _provider_servers.openai.base_url)
    monkeypatch.setenv("GEMINI_BASE_URL", _provider_servers.gemini.url)
    worker_handler._runner.cache_clear()
    yield _provider_servers
    _provider_servers.openai.clear()
    _provider_servers.gemini.clear()
