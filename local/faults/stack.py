"""The local stack as a child process for the fault run: `python -m local.run` on free ports, told
where the fake providers are (FAKE_LLM off: as far as the stack knows they are the real providers)
and which faults to inject, its whole output kept in a log file, stopped with SIGTERM."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.aws_emulator import FAKE_CREDENTIALS, REGION
from local.child_stack import ChildStack, free_port

API_KEY = "fault-run-gateway-key"
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
_STARTUP_SECONDS = 60
_SHUTDOWN_SECONDS = 30


@dataclass
class StackProcess:
    workdir: Path
    environment: Mapping[str, str]  # the fault settings, provider URLs and system key
    api_port: int = field(default_factory=free_port)
    aws_port: int = field(default_factory=free_port)
    child: ChildStack | None = None
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "local-run.log"

    @property
    def capture_path(self) -> Path:
        return self.workdir / "sqs-capture.jsonl"

    def start(self) -> StackProcess:
        env = {
            name: value
            for name, value in os.environ.items()
            if name != "FAKE_LLM" and not name.startswith(("AWS_", "POWERTOOLS_", "LOCAL_", "FAKE_LLM_"))
        }
        env.update(
            {
                "LOCAL_ENV": "dev",
                "LOCAL_API_PORT": str(self.api_port),
                "LOCAL_AWS_PORT": str(self.aws_port),
                "LOCAL_API_KEY": API_KEY,
                "LOCAL_SQS_CAPTURE_FILE": str(self.capture_path),
                # Every process's lines as they are (CloudWatch's view), all in this one log.
                "LOCAL_LOG": "json",
                "LOCAL_LOG_FILE": str(self.workdir / "local-run.jsonl"),
                "PYTHONUNBUFFERED": "1",
                **self.environment,
            }
        )
        self.child = ChildStack(env, self.log_path, self.api_url).start(_STARTUP_SECONDS)
        return self

    def stop(self) -> int | None:
        """SIGTERM, as Ctrl-C would; the exit code (None if it had to be killed)."""
        return self.child.stop(_SHUTDOWN_SECONDS) if self.child is not None else None

    def aws(self, service: str) -> Any:
        """A client of the emulated AWS (this process has no fault hooks)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.aws_endpoint,
                region_name=REGION,
                **FAKE_CREDENTIALS,
            )
        return self._clients[service]

    def queue_url(self, suffix: str) -> str:
        urls = self.aws("sqs").list_queues()["QueueUrls"]
        (url,) = [u for u in urls if u.endswith(suffix)]
        return str(url)

    def table_name(self) -> str:
        names = self.aws("dynamodb").list_tables()["TableNames"]
        (table,) = [name for name in names if name.endswith("-jobs")]
        return str(table)

    def other_tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table but the jobs table (the system path's budget counters), whole."""
        names = self.aws("dynamodb").list_tables()["TableNames"]
        return {name: self.scan(table=name) for name in names if name != self.table_name()}

    def scan(self, *, brief: bool = False, table: str | None = None) -> list[dict[str, Any]]:
        """The jobs table, or another (DynamoDB JSON), every item; `brief`: the jobs' id and status
        only (the Idempotency-Key records beside them have no status)."""
        dynamodb = self.aws("dynamodb")
        options: dict[str, Any] = {"TableName": table or self.table_name(), "ConsistentRead": True}
        if brief:
            options |= {
                "ProjectionExpression": "job_id, #s",
                "FilterExpression": "attribute_exists(#s)",
                "ExpressionAttributeNames": {"#s": "status"},
            }
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(**options):
            items.extend(page["Items"])
        return items

    def queue_depth(self) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.aws("sqs").get_queue_attributes(
            QueueUrl=self.queue_url("-jobs"), AttributeNames=names
        )
        return sum(int(attributes["Attributes"].get(name, 0)) for name in names)

    def peek(self, suffix: str) -> list[dict[str, Any]]:
        """What is left on a queue, read without taking it (visibility 0)."""
        sqs, url = self.aws("sqs"), self.queue_url(suffix)
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(20):
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
            ).get("Messages", [])
            new = [m for m in messages if m["MessageId"] not in seen]
            if not new:
                break
            seen.update((m["MessageId"], m) for m in new)
        return list(seen.values())

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(no output)"
