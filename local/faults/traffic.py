"""The fault run's traffic: what is submitted (every job type over both providers and the system path,
each body carrying a marker to find its provider calls), the frontend that submits it (POSTs repeated
under one Idempotency-Key after a 5xx or a lost answer), the duplicate deliveries (a copy of a job's
SQS message) and the window that keeps the run a fault run rather than a load test."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from cv_jobs.job_types import JOB_TYPES
from local.examples import example_request
from local.faults.stack import API_KEY, TERMINAL, StackProcess

OPENAI_KEY = "sk-canary-faultrun-openai-0123456789abcdef"
GEMINI_KEY = "AIza-canary-faultrun-gemini-0123456789"
SYSTEM_KEY = "sk-canary-faultrun-system-0123456789abcdef"
CANARY_KEYS = (OPENAI_KEY, GEMINI_KEY, SYSTEM_KEY)
# A route: how a job is paid for (the user's key with a provider, or the system key).
ROUTES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("openai-byok", "openai", {"X-User-Provider": "openai", "X-User-Api-Key": OPENAI_KEY}),
    ("gemini-byok", "gemini", {"X-User-Provider": "gemini", "X-User-Api-Key": GEMINI_KEY}),
    ("system", "openai", {}),
)
_POST_ATTEMPTS = 4


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


def plan_submissions(jobs: int, seed: int) -> list[Submission]:
    """`jobs` submissions cycling over every job type and route, in a seeded random order."""
    submissions = []
    for index in range(jobs):
        job_type = JOB_TYPES[index % len(JOB_TYPES)]
        route, provider, headers = ROUTES[(index // len(JOB_TYPES)) % len(ROUTES)]
        marker = f"fault-run-{uuid.uuid4().hex}"
        body = example_request(job_type.path, marker=marker)
        submissions.append(Submission(job_type.name, job_type.path, route, provider, headers, marker, body))
    random.Random(seed).shuffle(submissions)
    return submissions


class Client:
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
                status, job_id, code = 0, None, None
            else:
                self._keep(response)
                status = response.status_code
                job_id = response.json().get("job_id") if status in (200, 201, 202) else None
                code = _error_code(response)
            submission.statuses.append(status)
            # Retried as a frontend would after a server error or a lost answer, or when the first
            # try with this key is still running (docs/api.md); never another refusal.
            if not _retried(status, code) or attempt == _POST_ATTEMPTS - 1:
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


def _error_code(response: httpx.Response) -> str | None:
    try:
        answer = response.json()
    except ValueError:  # a gateway's own page, not our error body
        return None
    error = answer.get("error") if isinstance(answer, dict) else None
    return str(error.get("code")) if isinstance(error, dict) else None


def _retried(status: int, code: str | None) -> bool:
    return status in (0, 500, 502, 503, 504) or (status, code) == (409, "idempotency_key_in_use")


class Duplicator(threading.Thread):
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


class Window:
    """Holds a submission back while `size` accepted jobs are open (the table, read at most every
    half second)."""

    def __init__(self, stack: StackProcess, size: int) -> None:
        self._stack = stack
        self._size = size
        self._lock = threading.Lock()
        self._accepted: set[str] = set()
        self._open = 0
        self._read_at = 0.0

    def wait(self) -> None:
        while self._open_jobs() >= self._size:
            time.sleep(0.3)

    def accepted(self, job_id: str) -> None:
        with self._lock:
            self._accepted.add(job_id)
            self._open += 1

    def _open_jobs(self) -> int:
        with self._lock:
            if time.monotonic() - self._read_at > 0.5:
                finished = {
                    item["job_id"]["S"]
                    for item in self._stack.scan(brief=True)
                    if item["status"]["S"] in TERMINAL
                }
                self._open = len(self._accepted - finished)
                self._read_at = time.monotonic()
            return self._open
