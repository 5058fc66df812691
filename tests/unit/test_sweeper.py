"""The stale-job sweeper: it fails exactly the open jobs no delivery can end any more, never one a
live attempt holds, and with it every job is terminal within the bound docs/reliability.md states."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.open_jobs import STATUS_INDEX_KEY_ATTRIBUTES, status_index
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.jobs import LEASE_GRACE_SECONDS
from cv_jobs.settings import SweeperSettings
from cv_jobs.sweeper.handler import run_sweep
from cv_jobs.sweeper.rules import StaleRules
from infra.config import environment_config_from_file
from tests.unit.conftest import Aws, Logs
from tests.unit.samples import sample

REPO = Path(__file__).resolve().parents[2]
SETTINGS = SweeperSettings(
    JOBS_TABLE_NAME="jobs",
    MAX_ATTEMPTS=3,
    MAX_RECEIVE_COUNT=4,
    QUEUE_VISIBILITY_SECONDS=720,
    WORKER_TIMEOUT_SECONDS=120,
    STALE_MARGIN_SECONDS=120,
)
RULES = StaleRules.of(SETTINGS)


@pytest.fixture
def table(aws: Aws) -> Any:
    """The jobs table with the status index the stack gives it."""
    aws.table.meta.client.update_table(
        TableName="jobs",
        AttributeDefinitions=STATUS_INDEX_KEY_ATTRIBUTES,
        GlobalSecondaryIndexUpdates=[{"Create": status_index()}],
    )
    return aws.table


def create(table: Any, created_at: float) -> str:
    job_id = str(uuid.uuid4())
    JobsStore(table, 86400).create(
        job_id=job_id,
        job_type="extract",
        payload={"cv_text": sample("cv_backend_engineer.txt")},
        provider=Provider.OPENAI,
        credential=CredentialSource.USER,
        now=created_at,
    )
    return job_id


def claimed(table: Any, created_at: float, *, attempts: int, claimed_at: float, lease_seconds: float) -> str:
    """A job claimed `attempts` times; the earlier attempts died at once, the last one holds a lease
    of `lease_seconds` from `claimed_at`."""
    job_id = create(table, created_at)
    store = JobsStore(table, 86400)
    for attempt in range(1, attempts + 1):
        lease = lease_seconds if attempt == attempts else -1.0
        assert store.claim(job_id, model="m", lease_seconds=lease, now=claimed_at) is not None
    return job_id


def status(table: Any, job_id: str) -> tuple[str, str | None]:
    item = table.get_item(Key={"job_id": job_id}, ConsistentRead=True)["Item"]
    return item["status"], (item.get("error") or {}).get("code")


def test_the_sweeper_fails_only_jobs_no_delivery_can_end(table: Any) -> None:
    now = time.time()
    # Given open jobs in every situation
    cases = {
        # a live attempt holds it, whatever its age or attempts: never touched
        "live lease": (
            claimed(table, now - 10_000, attempts=3, claimed_at=now, lease_seconds=60),
            "processing",
        ),
        # every attempt used and the last lease over: only the last delivery could end it
        "attempts used": (
            claimed(table, now - 900, attempts=3, claimed_at=now - 200, lease_seconds=50),
            "failed",
        ),
        # attempts left, lease over recently: its message may still come back
        "lease just over": (
            claimed(table, now - 900, attempts=1, claimed_at=now - 300, lease_seconds=150),
            "processing",
        ),
        # attempts left, lease over longer than a visibility timeout and the margin: no message left
        "message lost": (
            claimed(table, now - 2_000, attempts=1, claimed_at=now - 1_200, lease_seconds=150),
            "failed",
        ),
        # queued and young: waiting for its first delivery
        "young queued": (create(table, now - 60), "queued"),
        # queued for longer than every delivery of its message could take
        "old queued": (create(table, now - RULES.max_age_seconds - 1), "failed"),
    }
    finished = create(table, now - 20_000)
    JobsStore(table, 86400).cancel(finished, now - 19_000)
    # When the sweeper runs
    report = run_sweep(table, SETTINGS, clock=lambda: now)
    # Then exactly the stale ones failed, with the stable code; the rest and the finished job kept
    for name, (job_id, expected) in cases.items():
        outcome = status(table, job_id)
        assert outcome[0] == expected, name
        if expected == "failed":
            assert outcome[1] == "job_stalled", name
    assert status(table, finished) == ("cancelled", None)
    assert report == {"open_jobs": len(cases), "failed": 3}


def test_a_stalled_job_loses_its_payload_like_any_finished_job(table: Any) -> None:
    # Given a job queued far too long
    job_id = create(table, time.time() - RULES.max_age_seconds - 10)
    # When the sweeper fails it, Then the personal data goes with it
    run_sweep(table, SETTINGS)
    item = table.get_item(Key={"job_id": job_id}, ConsistentRead=True)["Item"]
    assert item["status"] == "failed"
    assert "payload" not in item


def test_the_stale_job_line_carries_the_job_keys_and_the_next_line_does_not(table: Any, logs: Logs) -> None:
    # Given two jobs queued far too long (openai, user key)
    stale = [create(table, time.time() - RULES.max_age_seconds - 10) for _ in range(2)]
    # When the sweeper fails them
    run_sweep(table, SETTINGS)
    # Then each "stale job failed" line carries its job's keys, as every job log line must, and the
    # keys end with the job: the sweep's summary line carries none
    lines = [json.loads(line) for line in logs.text.splitlines() if line.startswith("{")]
    failed = [line for line in lines if line["message"] == "stale job failed"]
    assert sorted(line["job_id"] for line in failed) == sorted(stale)
    for line in failed:
        assert (line["job_type"], line["provider"], line["credential"]) == ("extract", "openai", "user")
    [done] = [line for line in lines if line["message"] == "sweep done"]
    assert not {"job_id", "job_type", "provider", "credential"} & set(done)


def test_a_claim_between_the_read_and_the_write_wins_over_the_sweeper(table: Any) -> None:
    # Given a job that looks stale when the sweeper reads it
    now = time.time()
    job_id = claimed(table, now - 3_000, attempts=1, claimed_at=now - 1_500, lease_seconds=10)
    store = JobsStore(table, 86400)
    # When a redelivery claims it just before the sweeper's write
    claim = store.claim(job_id, model="m", lease_seconds=120, now=now)
    assert claim is not None
    failed = store.fail_stale(job_id, {"code": "job_stalled", "message": "x"}, now)
    # Then the sweeper's conditional write is refused and the attempt keeps its job
    assert failed is False
    assert status(table, job_id) == ("processing", None)


@pytest.mark.parametrize("attempts", [0, 1, 2, 3, 4])
def test_every_job_is_terminal_within_the_bound(table: Any, attempts: int) -> None:
    # Given a job at its latest possible state: its last claim on the last delivery the queue
    # allows, (R-1) visibility timeouts after its creation, with a full lease (timeout + grace)
    created = time.time() - 2 * RULES.max_age_seconds
    last_claim = created + (RULES.max_receive_count - 1) * RULES.visibility_seconds
    lease = RULES.worker_timeout_seconds + LEASE_GRACE_SECONDS
    job_id = (
        create(table, created)
        if attempts == 0
        else claimed(table, created, attempts=attempts, claimed_at=last_claim, lease_seconds=lease)
    )
    # When the sweeper first runs past created + max age (at most one interval before the bound)
    run_sweep(table, SETTINGS, clock=lambda: created + RULES.max_age_seconds + 1)
    # Then the job is terminal
    assert status(table, job_id)[0] == "failed"


def test_reliability_doc_states_the_bound_the_dev_settings_give() -> None:
    # Given the dev environment's queue and worker settings and the sweep interval the stack uses
    # (the stack's own computation of the bound: infra/config.py, EnvironmentConfig.job_bound)
    config = environment_config_from_file("dev")
    bound_minutes = config.job_bound.seconds / 60
    # When docs/reliability.md is read
    text = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    section = text.split("## Bounded time to a terminal state", 1)[1].split("\n## ", 1)[0]
    stated = re.search(r"at most \*\*(\d+(?:\.\d+)?) minutes\*\*", section)
    # Then it states that bound, in minutes
    assert stated is not None, "the section must say 'at most **N minutes**'"
    assert float(stated.group(1)) == pytest.approx(bound_minutes, abs=0.5)


def test_created_at_is_what_the_index_sorts_by() -> None:
    # The sweeper compares ages from created_at: the api writes it as UTC ISO 8601 (sortable).
    stamp = datetime.fromtimestamp(0, UTC).isoformat(timespec="milliseconds")
    assert stamp == "1970-01-01T00:00:00.000+00:00"
