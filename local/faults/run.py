"""The fault run: a local stack with faults of every kind, jobs of every type over both providers and
the system path, duplicate deliveries and retried POSTs; what happened is collected for report.py.

The fake providers run in this process (their recorded requests say which job and step each paid
answer was for); the stack runs as `python -m local.run` with LOCAL_WORKER_CRASH_RATE,
LOCAL_AWS_FAULTS and short timeouts (stack.py). Jobs are submitted as a frontend would: POSTs that
fail with 5xx or a broken connection are retried with the same `Idempotency-Key`. The run ends when
every record is terminal (a job that ended can pay for nothing more), or after `settle_seconds`.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cv_jobs.job_types import JOB_TYPES
from local.examples import example_request
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.fakes.faults import FaultPlan
from local.faults.stack import API_KEY, StackProcess

DEFAULT_PROVIDER_FAULTS = (
    "429:0.1,500:0.05,timeout:0.02,invalid_json:0.02,truncated:0.01,blocked:0.01,quota:0.01"
)
DEFAULT_AWS_FAULTS = "dynamodb:0.02,kms:0.01,sqs:0.01,secretsmanager:0.01"
OPENAI_KEY = "sk-canary-faultrun-openai-0123456789abcdef"
GEMINI_KEY = "AIza-canary-faultrun-gemini-0123456789"
SYSTEM_KEY = "sk-canary-faultrun-system-0123456789abcdef"
CANARY_KEYS = (OPENAI_KEY, GEMINI_KEY, SYSTEM_KEY)
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# A route: how a job is paid for (the user's key with a provider, or the system key).
ROUTES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("openai-byok", "openai", {"X-User-Provider": "openai", "X-User-Api-Key": OPENAI_KEY}),
    ("gemini-byok", "gemini", {"X-User-Provider": "gemini", "X-User-Api-Key": GEMINI_KEY}),
    ("system", "openai", {}),
)
_POST_ATTEMPTS = 4


@dataclass(frozen=True)
class FaultRunConfig:
    jobs: int = 300
    provider_faults: str = DEFAULT_PROVIDER_FAULTS
    crash_rate: float = 0.05  # of worker invocations
    aws_faults: str = DEFAULT_AWS_FAULTS
    duplicate_share: float = 0.1  # of jobs whose SQS message is sent again
    post_retry_share: float = 0.1  # of jobs POSTed a second time with the same Idempotency-Key
    visibility_seconds: int = 5
    worker_timeout_seconds: int = 15
    worker_processes: int = 3
    seed: int = 1
    settle_seconds: float = 240.0
    # A POST repeated with the same Idempotency-Key must return the same job (a violation if not).
    require_idempotency: bool = True


@dataclass
class Submission:
    job_type: str
    path: str
    route: str
    provider: str
    headers: dict[str, str]
    marker: str
    body: dict[str, Any]
    idempotency_key: str = field(default_factory=lambda: f"fault-run-{uuid.uuid4()}")
    job_id: str | None = None
    statuses: list[int] = field(default_factory=list)  # every POST's status (0: no answer)
    submitted_at: float = 0.0
    retry_job_id: str | None = None  # what a deliberate second POST returned
    duplicates_sent: int = 0


@dataclass
class FaultRunResult:
    config: FaultRunConfig
    submissions: list[Submission]
    items: list[dict[str, Any]]  # the whole table at the end (DynamoDB JSON)
    outcomes: dict[str, list[Any]]  # provider -> the fake's Outcome list
    fake_stats: dict[str, dict[str, Any]]
    log_text: str
    queue_messages: dict[str, list[dict[str, Any]]]  # "queue" / "dlq" -> messages left (peeked)
    captured: str  # the SQS capture file
    http_text: list[str]  # every response body and header block this run received
    idempotency_honoured: bool | None
    stack_exit_code: int | None
    elapsed_seconds: float


def plan_submissions(config: FaultRunConfig) -> list[Submission]:
    """`jobs` submissions cycling over every job type and route, in a seeded random order."""
    submissions = []
    for index in range(config.jobs):
        job_type = JOB_TYPES[index % len(JOB_TYPES)]
        route, provider, headers = ROUTES[(index // len(JOB_TYPES)) % len(ROUTES)]
        marker = f"fault-run-{uuid.uuid4().hex}"
        body = example_request(job_type.path, marker=marker)
        submissions.append(Submission(job_type.name, job_type.path, route, provider, headers, marker, body))
    random.Random(config.seed).shuffle(submissions)
    return submissions


class _Client:
    """The frontend's side: POST with retries under one Idempotency-Key; keeps what it was sent back."""

    def __init__(self, api_url: str) -> None:
        self._api_url = api_url
        self._http = httpx.Client(timeout=30)
        self._lock = threading.Lock()
        self.texts: list[str] = []

    def post(self, submission: Submission) -> tuple[int, str | None]:
        headers = {
            "X-API-Key": API_KEY,
            "Idempotency-Key": submission.idempotency_key,
            **submission.headers,
        }
        url = f"{self._api_url}/ai/jobs/{submission.path}"
        pause = 0.2
        for attempt in range(_POST_ATTEMPTS):
            try:
                response = self._http.post(url, json=submission.body, headers=headers)
            except httpx.TransportError:
                status, job_id = 0, None
            else:
                self._keep(response)
                status = response.status_code
                job_id = response.json().get("job_id") if status in (200, 201, 202) else None
            submission.statuses.append(status)
            # Retried as a frontend would after a server error or a lost answer; never a refusal.
            if status not in (0, 500, 502, 503, 504) or attempt == _POST_ATTEMPTS - 1:
                return status, job_id
            time.sleep(pause)
            pause *= 2
        return 0, None

    def _keep(self, response: httpx.Response) -> None:
        with self._lock:
            self.texts.append(response.text)
            self.texts.append(json.dumps(response.headers.multi_items()))

    def close(self) -> None:
        self._http.close()


class _Duplicator(threading.Thread):
    """Sends a copy of chosen jobs' SQS messages (as captured when first delivered), some at once
    (the first attempt still holds the job), some a few seconds later."""

    def __init__(self, stack: StackProcess, chosen: dict[str, Submission], seed: int) -> None:
        super().__init__(name="Duplicator", daemon=True)
        self._stack = stack
        self._chosen = chosen  # job id -> submission
        self._random = random.Random(seed)
        self._stopping = threading.Event()
        self._offset = 0
        self._pending: list[tuple[float, Submission, dict[str, Any]]] = []

    def choose(self, submission: Submission) -> None:
        """Send a copy of this accepted job's message once it is first delivered."""
        if submission.job_id:
            self._chosen[submission.job_id] = submission

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=10)

    def run(self) -> None:
        queue_url = self._stack.queue_url("-jobs")
        sqs = self._stack.aws("sqs")
        while not self._stopping.wait(0.3):
            now = time.monotonic()
            for message in self._new_captures():
                # One copy per chosen job (the copy itself is delivered with receive count 1 too).
                submission = self._chosen.pop(json.loads(message["body"]).get("job_id"), None)
                if submission is not None:
                    delay = 0.0 if self._random.random() < 0.5 else self._random.uniform(1, 6)
                    self._pending.append((now + delay, submission, message))
            due = [entry for entry in self._pending if entry[0] <= now]
            self._pending = [entry for entry in self._pending if entry[0] > now]
            for _, submission, message in due:
                sqs.send_message(QueueUrl=queue_url, MessageBody=message["body"], **_attributes(message))
                submission.duplicates_sent += 1

    def _new_captures(self) -> list[dict[str, Any]]:
        path = self._stack.capture_path
        if not path.exists():
            return []
        with path.open("rb") as capture:
            capture.seek(self._offset)
            data = capture.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        return [json.loads(line) for line in complete.decode().splitlines() if line.strip()]


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    attributes = {}
    for name, value in message["messageAttributes"].items():
        if "binaryValue" in value:
            attributes[name] = {
                "DataType": value["dataType"],
                "BinaryValue": base64.b64decode(value["binaryValue"]),
            }
        else:
            attributes[name] = {"DataType": value["dataType"], "StringValue": value["stringValue"]}
    return {"MessageAttributes": attributes} if attributes else {}


def run_faults(config: FaultRunConfig, workdir: Path, log: Any = print) -> FaultRunResult:
    started = time.monotonic()
    plan = FaultPlan.parse(config.provider_faults)
    rng = random.Random(config.seed)
    with (
        FakeOpenAIServer(faults=plan, seed=config.seed) as openai,
        FakeGeminiServer(faults=plan, seed=config.seed + 1) as gemini,
    ):
        stack = StackProcess(
            workdir,
            {
                "OPENAI_BASE_URL": openai.base_url,
                "GEMINI_BASE_URL": gemini.url,
                "OPENAI_API_KEY": SYSTEM_KEY,
                "LOCAL_WORKER_CRASH_RATE": str(config.crash_rate),
                "LOCAL_AWS_FAULTS": config.aws_faults,
                "LOCAL_VISIBILITY_SECONDS": str(config.visibility_seconds),
                "LOCAL_WORKER_TIMEOUT_SECONDS": str(config.worker_timeout_seconds),
                "LOCAL_WORKER_PROCESSES": str(config.worker_processes),
            },
        ).start()
        log(f"[faults] local stack up at {stack.api_url}; submitting {config.jobs} jobs")
        submissions = plan_submissions(config)
        client = _Client(stack.api_url)
        duplicator = _Duplicator(stack, {}, config.seed)
        duplicator.start()
        honoured: list[bool] = []
        exit_code: int | None = None
        try:
            _submit(submissions, client, duplicator, config, rng, honoured)
            log(f"[faults] {sum(1 for s in submissions if s.job_id)} accepted; waiting for every job to end")
            _settle(stack, submissions, config.settle_seconds, log)
            duplicator.stop()
            items = _scan(stack)
            queues = {
                name: _peek(stack, suffix) for name, suffix in (("queue", "-jobs"), ("dlq", "-jobs-dlq"))
            }
        finally:
            duplicator.stop()
            client.close()
            exit_code = stack.stop()
        return FaultRunResult(
            config=config,
            submissions=submissions,
            items=items,
            outcomes={"openai": openai.outcomes, "gemini": gemini.outcomes},
            fake_stats={"openai": openai.stats(), "gemini": gemini.stats()},
            log_text=stack.log_text(),
            queue_messages=queues,
            captured=stack.capture_path.read_text() if stack.capture_path.exists() else "",
            http_text=client.texts,
            idempotency_honoured=(all(honoured) if honoured else None),
            stack_exit_code=exit_code,
            elapsed_seconds=time.monotonic() - started,
        )


def _submit(
    submissions: list[Submission],
    client: _Client,
    duplicator: _Duplicator,
    config: FaultRunConfig,
    rng: random.Random,
    honoured: list[bool],
) -> None:
    duplicate = {id(s) for s in submissions if rng.random() < config.duplicate_share}
    retry = {id(s) for s in submissions if rng.random() < config.post_retry_share}

    def submit(submission: Submission) -> None:
        submission.submitted_at = time.time()
        status, job_id = client.post(submission)
        submission.job_id = job_id if status in (200, 201, 202) else None
        if id(submission) in duplicate:
            duplicator.choose(submission)
        # A second POST as a frontend sends after a lost answer; stopped once the api shows it
        # ignores the key (every retry would then pay for a second job).
        if submission.job_id and id(submission) in retry and all(honoured):
            _, submission.retry_job_id = client.post(submission)
            honoured.append(submission.retry_job_id == submission.job_id)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(submit, submissions))


def _settle(stack: StackProcess, submissions: list[Submission], settle_seconds: float, log: Any) -> None:
    accepted = {s.job_id for s in submissions if s.job_id}
    deadline = time.monotonic() + settle_seconds
    last_report = 0.0
    while time.monotonic() < deadline:
        statuses = {item["job_id"]["S"]: item["status"]["S"] for item in _scan(stack, brief=True)}
        open_jobs = [job for job, status in statuses.items() if status not in TERMINAL]
        missing = accepted - set(statuses)
        # Done once every record is terminal: no job can pay for a step any more, and a message
        # still on the queue (a duplicate waiting for a lease to end) only finds a finished job.
        if not open_jobs and not missing:
            return
        if time.monotonic() - last_report > 10:
            log(f"[faults] {len(open_jobs)} jobs not finished, {_queue_depth(stack)} messages on the queue")
            last_report = time.monotonic()
        time.sleep(1)
    log(f"[faults] stopped waiting after {settle_seconds:.0f} s")


def _scan(stack: StackProcess, *, brief: bool = False) -> list[dict[str, Any]]:
    dynamodb = stack.aws("dynamodb")
    options: dict[str, Any] = {"TableName": stack.table_name(), "ConsistentRead": True}
    if brief:
        options |= {"ProjectionExpression": "job_id, #s", "ExpressionAttributeNames": {"#s": "status"}}
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(**options):
        items.extend(page["Items"])
    return items


def _queue_depth(stack: StackProcess) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = stack.aws("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url("-jobs"), AttributeNames=names
    )
    return sum(int(attributes["Attributes"].get(name, 0)) for name in names)


def _peek(stack: StackProcess, suffix: str) -> list[dict[str, Any]]:
    """What is left on a queue, read without taking it (visibility 0)."""
    sqs, url = stack.aws("sqs"), stack.queue_url(suffix)
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
