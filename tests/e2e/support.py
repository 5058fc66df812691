"""Helpers of the e2e suite: canary keys, sample CVs, the recording gateway client, the stack handle
and the three ways a job is paid for (ROUTES). Bulk job runs and provider calls: job_runs.py.

Every HTTP exchange a test makes with the gateway is recorded, so the leak test can search all of
them for keys. Jobs carry a unique marker line in their CV (or job description) so a test can find
its own provider calls.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from infra.config import environment_config_from_file
from local.child_stack import ChildStack
from local.fakes import FakeGeminiServer, FakeOpenAIServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"

OPENAI_BYOK_KEY = "sk-canary-openai-byok-0123456789abcdef"
OPENAI_BYOK_KEY_2 = "sk-canary-openai-byok-case-0123456789abcdef"
GEMINI_BYOK_KEY = "AIza-canary-gemini-byok-0123456789"
SYSTEM_KEY = "sk-canary-system-0123456789abcdef"
REVOKED_OPENAI_KEY = "sk-canary-revoked-0123456789abcdef"  # the OpenAI fake is told to reject it
CANARY_KEYS = (OPENAI_BYOK_KEY, OPENAI_BYOK_KEY_2, GEMINI_BYOK_KEY, SYSTEM_KEY, REVOKED_OPENAI_KEY)

GATEWAY_API_KEY = "e2e-gateway-api-key"
SECOND_CLIENT_API_KEY = "e2e-second-client-api-key"
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
STARTUP_TIMEOUT_SECONDS = 30
SHUTDOWN_TIMEOUT_SECONDS = 15


def sample_cv(name: str = "cv_backend_engineer.txt") -> str:
    path = SAMPLES / name
    if not path.is_file():
        pytest.fail(f"sample CV missing: {path} (the repository's samples/ folder)")
    return path.read_text(encoding="utf-8")


def new_marker() -> str:
    """A unique string to put in a request and find again in provider calls and records."""
    return f"e2e-marker-{uuid.uuid4().hex}"


def marked_cv(name: str = "cv_backend_engineer.txt") -> tuple[str, str]:
    """A realistic CV with a unique line, to find this job's provider calls and records."""
    marker = new_marker()
    return f"{sample_cv(name)}\nReference: {marker}\n", marker


@dataclass(frozen=True)
class Route:
    """One way a job is paid for: the user's own key with a provider, or the system path."""

    id: str
    provider: str  # the provider the job must reach
    key: str  # the key that provider must receive
    credential: str  # the job record's `credential`: user | system

    @property
    def headers(self) -> dict[str, str]:
        if self.credential == "system":
            return {}
        return {"X-User-Provider": self.provider, "X-User-Api-Key": self.key}


ROUTES = (
    Route("openai-byok", "openai", OPENAI_BYOK_KEY, "user"),
    Route("gemini-byok", "gemini", GEMINI_BYOK_KEY, "user"),
    Route("system", "openai", SYSTEM_KEY, "system"),  # the stack's system key is this canary
)


def configured_models(job_type: str | None = None) -> dict[str, str]:
    """The models the local stack calls for `job_type` (cdk.json, environment dev: the provider's
    default unless the job type's jobSettings names its own), by provider."""
    config = environment_config_from_file("dev")
    return {provider: config.model_for(provider, job_type) for provider in ("openai", "gemini")}


def accepted_job_id(response: httpx.Response) -> str:
    """The job id of a 202 `{job_id, status: queued}`; fails the test on anything else."""
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued", body
    assert isinstance(body["job_id"], str), body
    assert body["job_id"], body
    return str(body["job_id"])


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: str


@dataclass
class GatewayClient:
    """Talks to the local gateway over HTTP and keeps every response it saw."""

    base_url: str
    api_key: str
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        api_key: str | None = "default",
    ) -> httpx.Response:
        sent = dict(headers or {})
        if api_key == "default":
            sent["X-API-Key"] = self.api_key
        elif api_key is not None:
            sent["X-API-Key"] = api_key
        response = httpx.request(method, self.base_url + path, json=json_body, headers=sent, timeout=10)
        with self._lock:
            self.exchanges.append(
                Exchange(
                    method,
                    path,
                    response.status_code,
                    tuple(response.headers.multi_items()),
                    response.text,
                )
            )
        return response

    def create_job(
        self, job_path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self.request("POST", f"/ai/jobs/{job_path}", json_body=body, headers=headers, **kwargs)

    def get_job(self, job_id: str) -> httpx.Response:
        return self.request("GET", f"/ai/jobs/{job_id}")

    def wait_until_finished(self, job_id: str, timeout: float = 15.0) -> dict[str, Any]:
        """Poll with backoff, as the frontend does, until the job is terminal."""
        deadline = time.monotonic() + timeout
        delay = 0.1
        while True:
            response = self.get_job(job_id)
            assert response.status_code == 200, response.text
            job = response.json()
            if job["status"] in TERMINAL_STATUSES:
                return job
            if time.monotonic() > deadline:
                pytest.fail(f"job {job_id} still {job['status']!r} after {timeout} s: {job}")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def wait_until_all_finished(self, job_ids: list[str], timeout: float = 60.0) -> dict[str, dict[str, Any]]:
        """Poll many jobs with one shared backoff until every one is terminal; the final views by id."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        pending, finished = list(job_ids), {}
        while pending:
            for job_id in list(pending):
                response = self.get_job(job_id)
                assert response.status_code == 200, response.text
                job = response.json()
                if job["status"] in TERMINAL_STATUSES:
                    finished[job_id] = job
                    pending.remove(job_id)
            if not pending:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{len(pending)} of {len(job_ids)} jobs not finished after {timeout} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
        return finished


@dataclass
class LocalStack:
    child: ChildStack  # `python -m local.run`
    api_url: str
    aws_endpoint: str
    log_path: Path
    capture_path: Path
    json_log_path: Path  # LOCAL_LOG_FILE: every JSON line the functions wrote
    openai: FakeOpenAIServer
    gemini: FakeGeminiServer
    playground_url: str = ""  # the playground page's server (LOCAL_PLAYGROUND_PORT)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def aws(self, service: str) -> Any:
        """A boto3 client of the emulated AWS, made once per service: making one takes a good part of
        a second, which would slow down tests that read the table while a job runs."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(
                    service,
                    endpoint_url=self.aws_endpoint,
                    region_name="us-east-1",
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                )
            return self._clients[service]

    def log_text(self) -> str:
        """Everything the stack wrote: its console and the JSON log file."""
        return self.console_text() + self.json_log_text()

    def console_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def json_log_text(self) -> str:
        if not self.json_log_path.exists():
            return ""
        return self.json_log_path.read_text(encoding="utf-8", errors="replace")

    def captured_messages(self) -> list[dict[str, Any]]:
        if not self.capture_path.exists():
            return []
        lines = self.capture_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def table_name(self) -> str:
        # The jobs table (the system path's budget table is the other one).
        names = self.aws("dynamodb").list_tables()["TableNames"]
        (table,) = [name for name in names if name.endswith("-jobs")]
        return str(table)

    def table_items(self) -> list[dict[str, Any]]:
        dynamodb = self.aws("dynamodb")
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=self.table_name(), ConsistentRead=True):
            items.extend(page["Items"])
        return items

    def job_item(self, job_id: str) -> dict[str, Any] | None:
        """A job's record as stored (DynamoDB JSON), or None."""
        item = self.aws("dynamodb").get_item(
            TableName=self.table_name(), Key={"job_id": {"S": job_id}}, ConsistentRead=True
        )
        return item.get("Item")

    def forget_jobs(self, job_ids: list[str]) -> None:
        """Delete finished jobs' records: tests that scan the table mid-run stay fast as the suite grows."""
        dynamodb, table = self.aws("dynamodb"), self.table_name()
        for job_id in job_ids:
            dynamodb.delete_item(TableName=table, Key={"job_id": {"S": job_id}})

    def queue_url(self, suffix: str) -> str:
        urls = self.aws("sqs").list_queues()["QueueUrls"]
        (url,) = [u for u in urls if u.endswith(suffix)]
        return url


def provider_calls_for(server: FakeOpenAIServer | FakeGeminiServer, marker: str) -> list[Any]:
    """The requests a fake received for the job whose CV carries `marker`."""
    return [request for request in server.requests if request.mentions(marker)]


def items_mentioning(stack: LocalStack, marker: str) -> list[dict[str, Any]]:
    return [item for item in stack.table_items() if marker in json.dumps(item, default=str)]
