"""The fault run: a local stack with faults of every kind, jobs of every type over both providers and
the system path, duplicate deliveries and retried POSTs; what happened is collected for report.py.

The fake providers run in this process (their recorded requests say which job and step each paid
answer was for); the stack runs as `python -m local.run` with LOCAL_WORKER_CRASH_RATE,
LOCAL_AWS_FAULTS and short timeouts (stack.py). Jobs are submitted as a frontend would: POSTs that
fail with 5xx or a broken connection are retried with the same `Idempotency-Key`. The run ends when
every record is terminal (a job that ended can pay for nothing more), or after `settle_seconds`.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.fakes.faults import FaultPlan
from local.faults.stack import TERMINAL, StackProcess
from local.faults.traffic import SYSTEM_KEY, Client, Duplicator, Submission, Window, plan_submissions

DEFAULT_PROVIDER_FAULTS = (
    "429:0.1,500:0.05,timeout:0.02,invalid_json:0.02,truncated:0.01,blocked:0.01,quota:0.01"
)
DEFAULT_AWS_FAULTS = "dynamodb:0.02,kms:0.01,sqs:0.01,secretsmanager:0.01"


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
    # How long a claim's lease outlives its invocation (the cloud's: 30 s). A crashed claim holds its
    # job for worker timeout + this; a few seconds cover a local write in flight at the timeout.
    lease_grace_seconds: float = 5.0
    worker_processes: int = 3
    seed: int = 1
    settle_seconds: float = 240.0
    # Jobs open at once: a fault run, not a load test. A backlog the few local workers cannot clear
    # within the sweeper's (locally seconds-long) margins would end jobs as job_stalled.
    in_flight: int = 40
    # A POST repeated with the same Idempotency-Key must return the same job (a violation if not).
    require_idempotency: bool = True


@dataclass
class FaultRunResult:
    config: FaultRunConfig
    submissions: list[Submission]
    items: list[dict[str, Any]]  # the whole jobs table at the end (DynamoDB JSON)
    other_tables: dict[str, list[dict[str, Any]]]  # every other table, by name
    outcomes: dict[str, list[Any]]  # provider -> the fake's Outcome list
    fake_stats: dict[str, dict[str, Any]]
    log_text: str
    queue_messages: dict[str, list[dict[str, Any]]]  # "queue" / "dlq" -> messages left (peeked)
    captured: str  # the SQS capture file
    http_text: list[str]  # every response body and header block this run received
    idempotency_honoured: bool | None
    stack_exit_code: int | None
    elapsed_seconds: float


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
                "LOCAL_LEASE_GRACE_SECONDS": str(config.lease_grace_seconds),
                "LOCAL_WORKER_PROCESSES": str(config.worker_processes),
            },
        ).start()
        log(f"[faults] local stack up at {stack.api_url}; submitting {config.jobs} jobs")
        submissions = plan_submissions(config.jobs, config.seed)
        client = Client(stack.api_url)
        duplicator = Duplicator(stack, {}, config.seed)
        honoured: list[bool] = []
        exit_code: int | None = None
        try:
            duplicator.start()
            _submit(submissions, client, duplicator, config, rng, honoured, Window(stack, config.in_flight))
            log(f"[faults] {sum(1 for s in submissions if s.job_id)} accepted; waiting for every job to end")
            _settle(stack, submissions, config.settle_seconds, log)
            duplicator.stop()
            items = stack.scan()
            other_tables = stack.other_tables()
            queues = {name: stack.peek(suffix) for name, suffix in (("queue", "-jobs"), ("dlq", "-jobs-dlq"))}
        finally:
            try:
                duplicator.stop()
                client.close()
            finally:
                exit_code = stack.stop()  # whatever failed above, no stack is left running
        return FaultRunResult(
            config=config,
            submissions=submissions,
            items=items,
            other_tables=other_tables,
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
    client: Client,
    duplicator: Duplicator,
    config: FaultRunConfig,
    rng: random.Random,
    honoured: list[bool],
    window: Window,
) -> None:
    duplicate = {id(s) for s in submissions if rng.random() < config.duplicate_share}
    retry = {id(s) for s in submissions if rng.random() < config.post_retry_share}

    def submit(submission: Submission) -> None:
        window.wait()
        submission.submitted_at = time.time()
        status, job_id = client.post(submission)
        submission.job_id = job_id if status in (200, 201, 202) else None
        if submission.job_id:
            window.accepted(submission.job_id)
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
        statuses = {item["job_id"]["S"]: item["status"]["S"] for item in stack.scan(brief=True)}
        open_jobs = [job for job, status in statuses.items() if status not in TERMINAL]
        missing = accepted - set(statuses)
        # Done once every record is terminal: no job can pay for a step any more, and a message
        # still on the queue (a duplicate waiting for a lease to end) only finds a finished job.
        if not open_jobs and not missing:
            return
        if time.monotonic() - last_report > 10:
            log(f"[faults] {len(open_jobs)} jobs not finished, {stack.queue_depth()} messages on the queue")
            last_report = time.monotonic()
        time.sleep(1)
    log(f"[faults] stopped waiting after {settle_seconds:.0f} s")
