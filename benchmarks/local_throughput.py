"""Local pipeline throughput: jobs per second end to end through `python -m local.run` with
FAKE_LLM=1 (zero-latency fakes), and how it scales with LOCAL_WORKER_PROCESSES.

Each run starts a fresh local stack, submits N jobs over HTTP from a pool of client threads, then
reads the table until every job is terminal. End to end = jobs succeeded / (first submit -> last job done);
accepted = 202s / (first submit -> last answer). Refusals (a 503 when the emulated SQS times out under
load) are counted, not retried. Where the CPU goes: each of the stack's processes' CPU time over the
run (Linux's /proc), per job submitted: what caps the rate on two cores.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx

from benchmarks.harness import Samples, fmt, interleave, print_table
from local.child_stack import ChildStack, free_port
from local.examples import example_request

API_KEY = "bench-local-key"
STARTUP_SECONDS = 90
CLIENT_THREADS = 16
TERMINAL = {"succeeded", "failed", "cancelled"}


class LocalStack:
    def __init__(self, workers: int, log_dir: Path, *, aws_own_process: bool = True) -> None:
        self.api_port, self.aws_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
        env.update(
            {
                "FAKE_LLM": "1",
                "LOCAL_ENV": "dev",
                "LOCAL_API_PORT": str(self.api_port),
                "LOCAL_AWS_PORT": str(self.aws_port),
                "LOCAL_FAKE_OPENAI_PORT": str(free_port()),
                "LOCAL_FAKE_GEMINI_PORT": str(free_port()),
                "LOCAL_PLAYGROUND_PORT": str(free_port()),
                "LOCAL_API_KEY": API_KEY,
                "LOCAL_WORKER_PROCESSES": str(workers),
                "LOCAL_AWS_OWN_PROCESS": "1" if aws_own_process else "0",
                # Raw JSON lines into this run's own file (not the shared .local-state one).
                "LOCAL_LOG": "json",
                "LOCAL_LOG_FILE": str(log_dir / f"local-run-{workers}.jsonl"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.log_path = log_dir / f"local-run-{workers}{'' if aws_own_process else '-moto-thread'}.log"
        self.url = f"http://127.0.0.1:{self.api_port}"
        # Its own process group: signals to ours never reach it.
        self.child = ChildStack(env, self.log_path, self.url, own_session=True)

    def wait_until_serving(self) -> None:
        self.child.start(STARTUP_SECONDS)

    def stop(self) -> None:
        self.child.stop(60)

    def statuses(self) -> dict[str, str]:
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{self.aws_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's
        )
        table = dynamodb.list_tables()["TableNames"][0]
        found: dict[str, str] = {}
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression="job_id, #s", ExpressionAttributeNames={"#s": "status"}
        ):
            found.update({item["job_id"]["S"]: item["status"]["S"] for item in page["Items"]})
        return found


# What each of the stack's processes is, for the CPU columns.
ROLES = ("gateway, api, fakes, poller", "moto", "workers and sweeper")


def _process_tree(root: int) -> dict[int, str]:
    """pid -> its role, for `root` and every process below it (Linux)."""
    parents = {
        int(entry.name): int(fields[1])
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name)))
    }
    tree = {root}
    while (grown := tree | {pid for pid, parent in parents.items() if parent in tree}) != tree:
        tree = grown
    return {pid: _role(pid) for pid in tree}


def _role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        command = ""
    if "local.moto_server" in command:
        return ROLES[1]
    if "spawn_main" in command or "resource_tracker" in command:
        return ROLES[2]
    return ROLES[0]


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (field 3 on); empty once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def run_once(
    workers: int, jobs: int, job_paths: list[str], log_dir: Path, aws_own_process: bool = True
) -> dict[str, float]:
    stack = LocalStack(workers, log_dir, aws_own_process=aws_own_process)
    try:
        stack.wait_until_serving()
        assert stack.child.process is not None
        processes = _process_tree(stack.child.process.pid)
        cpu_before = {pid: _cpu_seconds(pid) for pid in processes}
        bodies = [(path, example_request(path)) for path in job_paths]
        with httpx.Client(
            base_url=stack.url,
            headers={"X-API-Key": API_KEY},
            timeout=30,
            limits=httpx.Limits(max_connections=32),
        ) as client:

            def submit(index: int) -> str | None:
                path, body = bodies[index % len(bodies)]
                try:
                    response = client.post(f"/ai/jobs/{path}", json=body)
                except httpx.TransportError:
                    return None
                # A refusal (say 503 when the emulated SQS times out under load) is counted, not fatal.
                return str(response.json()["job_id"]) if response.status_code == 202 else None

            started = time.monotonic()
            with ThreadPoolExecutor(CLIENT_THREADS) as pool:
                submitted = list(pool.map(submit, range(jobs)))
            accepted = time.monotonic() - started
            job_ids = {job_id for job_id in submitted if job_id is not None}
            refused = jobs - len(job_ids)
        while True:
            statuses = stack.statuses()
            done = [job for job in job_ids if statuses.get(job) in TERMINAL]
            if len(done) == len(job_ids):
                break
            if time.monotonic() - started > 300:
                raise RuntimeError(f"only {len(done)} of {jobs} jobs finished in 300 s")
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        cpu_ms: dict[str, float] = {}
        for pid, role in processes.items():
            cpu_ms[role] = cpu_ms.get(role, 0.0) + (_cpu_seconds(pid) - cpu_before[pid]) * 1000 / jobs
        failed = sum(statuses[job] != "succeeded" for job in job_ids)
        return {
            "jobs_per_s": (len(job_ids) - failed) / elapsed,
            "accepted_per_s": len(job_ids) / accepted,
            "failed": failed,
            "refused": refused,
            **{f"cpu {role}": value for role, value in cpu_ms.items()},
            "cpu all": sum(cpu_ms.values()),
        }
    finally:
        stack.stop()


def run(rounds: int, jobs: int, worker_counts: tuple[int, ...]) -> dict[str, Samples]:
    log_dir = Path(tempfile.mkdtemp(prefix="bench-local-"))
    cases: dict[str, Callable[[], Mapping[str, float]]] = {}
    for workers in worker_counts:
        cases[f"rephrase, {workers} worker process(es)"] = _case(workers, jobs, ["rephrase"], log_dir)
    mixed = ["extract", "tailor", "evaluate", "rephrase", "recommend", "inject-keyword", "elaborate",
             "improve-from-feedback"]  # fmt: skip
    cases["all eight job types, 2 worker processes"] = _case(2, jobs, mixed, log_dir)
    # What moto in a process of its own buys: the same case with moto in a thread of the api's process.
    cases["rephrase, 2 worker processes, moto in the api's process"] = _case(
        2, jobs, ["rephrase"], log_dir, aws_own_process=False
    )
    return interleave(cases, rounds, warmup=0)


def _case(
    workers: int, jobs: int, paths: list[str], log_dir: Path, *, aws_own_process: bool = True
) -> Callable[[], Mapping[str, float]]:
    return lambda: run_once(workers, jobs, paths, log_dir, aws_own_process)


def report(results: dict[str, Samples], rounds: int, jobs: int) -> None:
    rows: list[Any] = []
    for name, samples in results.items():
        rows.append(
            [
                name,
                f"**{fmt(samples.median('jobs_per_s'))}**",
                fmt(samples.median("accepted_per_s")),
                fmt(max(samples.values["failed"]), 0),
                fmt(max(samples.values["refused"]), 0),
                *[
                    fmt(samples.median(f"cpu {role}")) if f"cpu {role}" in samples.values else "-"
                    for role in ROLES
                ],
                fmt(samples.median("cpu all")),
            ]
        )
    print_table(
        f"local pipeline, FAKE_LLM=1, {jobs} jobs from {CLIENT_THREADS} client threads (median of {rounds}); "
        "CPU ms per job by process",
        [
            "case",
            "jobs/s succeeded end to end",
            "jobs/s accepted (202)",
            "jobs failed",
            "requests refused",
            *[f"CPU: {role}" for role in ROLES],
            "CPU: all",
        ],
        rows,
    )
