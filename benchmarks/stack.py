"""What the benchmarks run against: one moto server and the fake providers for the whole run,
provisioned like the stack (local/aws_emulator.py), and the functions' environments as the stack
sets them (local/function_environments.py). Also the Lambda events the benchmarks feed the handlers."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import REPO
from infra.config import environment_config_from_file
from local.aws_emulator import AwsEmulator, LocalResources, provision
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.function_environments import FAKE_SYSTEM_KEY, function_environments

HOST = "127.0.0.1"
# The functions measured as "ours": the working tree's unless BENCH_FUNCTIONS names another copy.
FUNCTIONS = Path(os.environ.get("BENCH_FUNCTIONS") or REPO / "functions")
OPENAI_KEY = "sk-canary-bench-openai-0123456789"
GEMINI_KEY = "AIza-canary-bench-gemini-0123456789"
BYOK = {
    "openai": {"X-User-Provider": "openai", "X-User-Api-Key": OPENAI_KEY},
    "gemini": {"X-User-Provider": "gemini", "X-User-Api-Key": GEMINI_KEY},
    "system": {},
}


@dataclass
class BenchStack:
    aws: AwsEmulator
    resources: LocalResources
    openai: FakeOpenAIServer
    gemini: FakeGeminiServer
    api_env: dict[str, str]
    worker_env: dict[str, str]

    def child_env(self, function: str, functions_dir: str | None = None) -> dict[str, str]:
        """The function's environment for a child; `functions_dir` runs another copy of functions/
        (say, the last commit's, from `git archive`) to measure a change in the same run."""
        env = self.api_env if function == "api" else self.worker_env
        functions = functions_dir or str(FUNCTIONS)
        return {
            **env,
            # As Lambda's runtime sets it (cv_jobs.cold_start tells an execution environment by it).
            "AWS_LAMBDA_FUNCTION_NAME": f"cv-ai-jobs-{function}",
            "PYTHONPATH": os.pathsep.join([functions, str(REPO)]),
        }

    def drain(self) -> None:
        """Empty the jobs queue (the api cases leave their jobs' messages there). Not PurgeQueue:
        SQS allows one a minute."""
        sqs = self.aws.client("sqs")
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.resources.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return
            sqs.delete_message_batch(
                QueueUrl=self.resources.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )

    def sqs_records(self, max_messages: int) -> list[dict[str, Any]]:
        """Take up to `max_messages` messages off the jobs queue (deleting them) as the records
        Lambda's event source would deliver."""
        sqs = self.aws.client("sqs")
        records: list[dict[str, Any]] = []
        while len(records) < max_messages:
            messages = sqs.receive_message(
                QueueUrl=self.resources.queue_url,
                MaxNumberOfMessages=min(10, max_messages - len(records)),
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                WaitTimeSeconds=1,
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                records.append(_record(message, self.resources.queue_arn))
                sqs.delete_message(QueueUrl=self.resources.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return records


@contextmanager
def bench_stack() -> Iterator[BenchStack]:
    """moto and both fake providers on free loopback ports, the dev environment's resources."""
    config = environment_config_from_file("dev")
    with AwsEmulator(HOST, 0) as aws, FakeOpenAIServer(HOST) as openai, FakeGeminiServer(HOST) as gemini:
        resources = provision(aws, config, system_openai_key=FAKE_SYSTEM_KEY)
        environments = function_environments(
            config,
            resources,
            aws_endpoint=aws.endpoint_url,
            openai_base_url=openai.base_url,
            gemini_base_url=gemini.url,
        )
        quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING"}
        yield BenchStack(
            aws=aws,
            resources=resources,
            openai=openai,
            gemini=gemini,
            api_env={**environments.api, **quiet},
            worker_env={**environments.worker, **quiet},
        )


def api_event(
    method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the gateway sends it to the api function."""
    all_headers = {"Content-Type": "application/json", "X-API-Key": "bench-api-key", **(headers or {})}
    resource = "/ai/jobs/{job_id}" if path.count("/") == 3 and method in ("GET", "DELETE") else path
    parameters = {"job_id": path.rsplit("/", 1)[1]} if resource != path else None
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters,
        "stageVariables": None,
        "requestContext": {
            "requestId": os.urandom(8).hex(),
            "stage": "bench",
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/bench{path}",
            "identity": {"sourceIp": "127.0.0.1", "apiKey": "bench-api-key", "apiKeyId": "bench-key-id"},
        },
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = {
        name: {
            "dataType": value["DataType"],
            "stringListValues": [],
            "binaryListValues": [],
            **({"stringValue": value["StringValue"]} if "StringValue" in value else {}),
            **(
                {"binaryValue": base64.b64encode(value["BinaryValue"]).decode("ascii")}
                if "BinaryValue" in value
                else {}
            ),
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }
