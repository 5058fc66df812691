"""The lease grace (how long a claim's lease outlives its invocation) is a setting of the worker and
the sweeper: 30 s in the cloud, unless LEASE_GRACE_SECONDS says otherwise, and shorter in local fault
runs (LOCAL_LEASE_GRACE_SECONDS), where both get the same value so the sweeper's bound still holds."""

from __future__ import annotations

from typing import Any

import pytest

from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.jobs import LEASE_GRACE_SECONDS
from cv_jobs.settings import SweeperSettings, WorkerSettings
from cv_jobs.sweeper.rules import StaleRules
from cv_jobs.worker import handler as worker_handler
from local.faults.settings import LocalFaults
from local.function_environments import local_sweeper_environment, local_worker_environment
from tests.unit.conftest import Aws, Providers
from tests.unit.worker_support import OPENAI_BYOK, deliver, job, submit

WORKER = {
    "JOBS_TABLE_NAME": "jobs",
    "BYOK_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/test",
    "SYSTEM_OPENAI_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:system",
    "OPENAI_MODEL": "gpt-test",
    "GEMINI_MODEL": "gemini-test",
}
SWEEPER = {"JOBS_TABLE_NAME": "jobs", "QUEUE_VISIBILITY_SECONDS": "60", "WORKER_TIMEOUT_SECONDS": "10"}
# SqsPoller's invocation timeout in worker_support.deliver: the claim's deadline.
INVOCATION_SECONDS = 60


def test_the_cloud_keeps_a_30_second_grace_unless_the_environment_sets_one() -> None:
    # Given the functions' environments without and with LEASE_GRACE_SECONDS
    # When their settings are read
    # Then the default is the cloud's 30 s, and a set value is taken by the worker and the sweeper alike
    assert LEASE_GRACE_SECONDS == 30
    assert WorkerSettings.from_env(WORKER).lease_grace_seconds == 30
    assert SweeperSettings.from_env(SWEEPER).lease_grace_seconds == 30
    assert WorkerSettings.from_env({**WORKER, "LEASE_GRACE_SECONDS": "3"}).lease_grace_seconds == 3
    assert SweeperSettings.from_env({**SWEEPER, "LEASE_GRACE_SECONDS": "3"}).lease_grace_seconds == 3
    # and a grace under a second (no room for a write in flight) is refused
    with pytest.raises(ValueError, match="LEASE_GRACE_SECONDS"):
        WorkerSettings.from_env({**WORKER, "LEASE_GRACE_SECONDS": "0"})


@pytest.mark.parametrize("grace", [None, "4"])
def test_a_claims_lease_outlives_the_invocation_by_the_workers_grace(
    aws: Aws, providers: Providers, monkeypatch: pytest.MonkeyPatch, grace: str | None
) -> None:
    # Given a worker with the default grace or a set one, and a record of every claim it makes
    if grace is not None:
        monkeypatch.setenv("LEASE_GRACE_SECONDS", grace)
    worker_handler._runner.cache_clear()
    leases: list[float] = []
    claim = JobsStore.claim

    def recorded_claim(self: JobsStore, job_id: str, **kwargs: Any) -> Any:
        leases.append(kwargs["lease_seconds"])
        return claim(self, job_id, **kwargs)

    monkeypatch.setattr(JobsStore, "claim", recorded_claim)
    job_id = submit(OPENAI_BYOK)

    # When the worker runs the job in an invocation of 60 s
    deliver(aws)

    # Then its claim's lease was the invocation's remaining time plus that grace, and the job ran
    expected_grace = float(grace) if grace is not None else LEASE_GRACE_SECONDS
    [lease] = leases
    assert INVOCATION_SECONDS + expected_grace - 2 <= lease <= INVOCATION_SECONDS + expected_grace
    assert job(aws, job_id)["status"] == "succeeded"


def test_the_sweepers_bound_counts_the_grace_it_is_given() -> None:
    # Given sweeper settings with the cloud's grace and with a local one
    cloud = StaleRules.of(SweeperSettings.from_env(SWEEPER))
    local = StaleRules.of(SweeperSettings.from_env({**SWEEPER, "LEASE_GRACE_SECONDS": "3"}))

    # When their bounds on an open job's age are compared
    # Then they differ by exactly the difference in grace (the rest of the bound is the same)
    assert cloud.max_age_seconds - local.max_age_seconds == pytest.approx(30 - 3)


def test_a_local_fault_run_gives_the_worker_and_the_sweeper_the_same_shorter_grace() -> None:
    # Given LOCAL_LEASE_GRACE_SECONDS as the fault run sets it
    faults = LocalFaults.from_env({"LOCAL_LEASE_GRACE_SECONDS": "3"})

    # When local mode builds its worker's and sweeper's environments
    worker = local_worker_environment({"JOBS_TABLE_NAME": "jobs"}, faults)
    sweeper = local_sweeper_environment({"JOBS_TABLE_NAME": "jobs"}, faults)

    # Then both reckon with the same grace, and the banner says it is on
    assert worker["LEASE_GRACE_SECONDS"] == sweeper["LEASE_GRACE_SECONDS"] == "3"
    assert "lease grace 3 s" in "\n".join(faults.banner_lines({}))
    # and without it, local mode keeps the cloud's grace
    quiet = LocalFaults.from_env({})
    assert "LEASE_GRACE_SECONDS" not in local_worker_environment({}, quiet)
    assert "LEASE_GRACE_SECONDS" not in local_sweeper_environment({}, quiet)
    # and a value the worker would refuse stops the start with the variable's name
    with pytest.raises(ValueError, match="LOCAL_LEASE_GRACE_SECONDS"):
        LocalFaults.from_env({"LOCAL_LEASE_GRACE_SECONDS": "0.5"})
