"""The local worker pool (local/worker_process.py) replaces a worker process that dies, as Lambda
starts a new execution environment, and stops its processes when told to, leaving none behind.

The pool runs on its own here: a pool of one in front of an empty queue on an emulated SQS. The worker
processes are watched from the outside, in /proc (children of this process running multiprocessing's
spawn_main), the way an operator would see them with `ps`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.aws_emulator import AwsEmulator
from local.worker_process import WorkerPool, WorkerProcessSettings

pytestmark = pytest.mark.e2e

TIMEOUT_SECONDS = 5  # the worker function's timeout: how long stop() lets a batch finish
REPLACED_WITHIN_SECONDS = 5  # the pool looks every 0.5 s; a spawned interpreter starts in about 1 s
STABLE_SECONDS = 2  # a replacement that dies as it starts would be replaced again within this


@pytest.fixture
def queue() -> Iterator[tuple[str, str, str]]:
    """An emulated SQS on a free port with one empty queue: (endpoint, queue url, queue arn)."""
    with AwsEmulator("127.0.0.1", 0) as aws:
        sqs = aws.client("sqs")
        url = sqs.create_queue(QueueName="worker-pool-test")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        yield aws.endpoint_url, url, arn


def _live_worker_processes() -> set[int]:
    """Pids of this process's live (not zombie) children that run a spawned multiprocessing target."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # it ended while we looked
            continue
        # "pid (name) state ppid ...": the name may hold spaces, so split after its closing parenthesis.
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(parent) == os.getpid() and state != "Z" and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def _wait_for(found: Callable[[], set[int]], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while not (result := found()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


def test_a_killed_worker_process_is_replaced_and_the_pool_stops_leaving_no_process(
    queue: tuple[str, str, str],
) -> None:
    # Given a pool of one worker process polling an empty queue
    endpoint, queue_url, queue_arn = queue
    settings = WorkerProcessSettings(
        aws_endpoint=endpoint,
        queue_url=queue_url,
        queue_arn=queue_arn,
        batch_size=1,
        timeout_seconds=TIMEOUT_SECONDS,
        retry_visibility_seconds=None,
        capture_file=None,
        environment={},
        # Nothing of a fault run this test may run inside: the worker must not crash by itself.
        not_inherited=("LOCAL_WORKER_CRASH_RATE", "LOCAL_AWS_FAULTS"),
    )
    before = _live_worker_processes()
    pool = WorkerPool(settings, size=1).start()
    try:
        started = _live_worker_processes() - before
        assert len(started) == 1, started
        [first] = started

        # When that process is killed outright (what LOCAL_WORKER_CRASH_RATE or running out of memory does)
        os.kill(first, signal.SIGKILL)

        # Then another live worker process takes its place within a few seconds
        replaced = _wait_for(lambda: _live_worker_processes() - before - {first}, REPLACED_WITHIN_SECONDS)
        assert len(replaced) == 1, f"no replacement within {REPLACED_WITHIN_SECONDS} s"
        # and it keeps running (a replacement that could not start would be replaced in turn)
        time.sleep(STABLE_SECONDS)
        assert _live_worker_processes() - before == replaced
    finally:
        stopping = time.monotonic()
        pool.stop()
        stop_seconds = time.monotonic() - stopping

    # and stopping the pool ends it without waiting out the batch timeout (no process had to be
    # terminated), leaving no worker process behind
    assert stop_seconds < TIMEOUT_SECONDS, stop_seconds
    assert _live_worker_processes() - before == set()
