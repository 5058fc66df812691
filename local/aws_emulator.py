"""Emulated AWS for local mode: a moto server at a fixed endpoint, provisioned like the stack.

The resources mirror what `infra/` deploys for the chosen environment (same config object): the
jobs table (on-demand, TTL on `ttl`, no point-in-time recovery), the system path's budget table,
the jobs queue with its DLQ and the environment's maxReceiveCount, the BYOK KMS key and the system
OpenAI key secret. The AWS CLI and boto3 can inspect them with `--endpoint-url` and any credentials.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Self

import boto3

from infra.config import EnvironmentConfig
from local.moto_server import MotoServer

REGION = "us-east-1"
FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

_QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
_DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    byok_key_arn: str
    system_secret_arn: str
    budget_table_name: str = ""


class AwsEmulator:
    """moto on `host:port` (local/moto_server.py): every AWS service at one endpoint.

    `own_process`: run it in a process of its own rather than a thread of this one. moto is pure
    Python, so in-process it competes for this process's GIL with whatever else runs here (locally:
    the gateway, the api and the fakes); in its own process it has a core of its own."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566, *, own_process: bool = False) -> None:
        self._host = host
        self._port = port
        self._own_process = own_process
        self._server: MotoServer | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    def start(self) -> Self:
        if self._port:
            # moto binds in its own thread and would wait forever for a port it cannot have.
            _check_port_free(self._host, self._port)
        if self._own_process:
            self._port = self._port or _free_port(self._host)
            self._process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
                [sys.executable, "-m", "local.moto_server", self._host, str(self._port)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait_until_listening(self._host, self._port, self._process)
            return self
        self._server = MotoServer(self._host, self._port).start()
        self._port = self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint_url, **FAKE_CREDENTIALS)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    """Until moto's server accepts connections (it imports for a second or two first)."""
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise RuntimeError(f"the AWS emulator (moto) exited with {process.returncode} on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the AWS emulator (moto) did not listen on {host}:{port} within 60 s")


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"{host}:{port} is in use; set LOCAL_AWS_PORT to a free port") from error


def provision(
    aws: AwsEmulator, config: EnvironmentConfig, *, system_openai_key: str | None
) -> LocalResources:
    """Create the stack's data-plane resources. `system_openai_key=None` leaves the secret without
    a value, so system-path jobs fail with `configuration_error` as they would in the cloud."""
    prefix = f"cv-ai-jobs-{config.name}"
    table_name = _jobs_table(aws.client("dynamodb"), f"{prefix}-jobs")
    budget_table_name = _budget_table(aws.client("dynamodb"), f"{prefix}-system-budget")
    sqs = aws.client("sqs")
    dlq_url, dlq_arn = _queue(
        sqs, f"{prefix}-jobs-dlq", {"MessageRetentionPeriod": str(_DLQ_RETENTION_SECONDS)}
    )
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": config.max_receive_count}
    queue_url, queue_arn = _queue(
        sqs,
        f"{prefix}-jobs",
        {
            "VisibilityTimeout": str(config.queue_visibility_timeout_seconds),
            "MessageRetentionPeriod": str(_QUEUE_RETENTION_SECONDS),
            "RedrivePolicy": json.dumps(redrive),
        },
    )
    kms = aws.client("kms")
    key_arn = kms.create_key(
        Description=f"{prefix}: seals BYOK keys (local)",
        KeySpec="SYMMETRIC_DEFAULT",
        KeyUsage="ENCRYPT_DECRYPT",
    )["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{prefix}-byok", TargetKeyId=key_arn)
    secret_args: dict[str, str] = {"Name": f"{prefix}/system-openai-key"}
    if system_openai_key:
        secret_args["SecretString"] = system_openai_key
    secret_arn = aws.client("secretsmanager").create_secret(**secret_args)["ARN"]
    return LocalResources(
        table_name=table_name,
        queue_url=queue_url,
        queue_arn=queue_arn,
        dlq_url=dlq_url,
        dlq_arn=dlq_arn,
        byok_key_arn=key_arn,
        system_secret_arn=secret_arn,
        budget_table_name=budget_table_name,
    )


def _jobs_table(dynamodb: Any, name: str) -> str:
    from cv_jobs.aws.open_jobs import STATUS_INDEX_KEY_ATTRIBUTES, status_index

    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "job_id", "AttributeType": "S"},
            *STATUS_INDEX_KEY_ATTRIBUTES,
        ],
        # The stale-job sweeper's index (infra/constructs/jobs_table.py).
        GlobalSecondaryIndexes=[status_index()],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    return name


def _budget_table(dynamodb: Any, name: str) -> str:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "counter", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "counter", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    return name


def _queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    attributes = {**attributes, "SqsManagedSseEnabled": "true"}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn
