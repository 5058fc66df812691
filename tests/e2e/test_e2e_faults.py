"""The fault run, small: a local stack of its own with provider faults of every kind, worker crashes,
AWS call failures, duplicate deliveries and repeated POSTs, and every job type over both providers
and the system path (local/faults). `make faults` is the same run, bigger, with its report printed.

What must hold whatever the dice did: nothing accepted is lost, every job ends, no step of a job that
succeeded was paid twice unless a crash came after the call, and no key is in any store or log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.config import environment_config_from_file
from local.faults.report import FaultReport, build_report
from local.faults.run import FaultRunConfig, run_faults

pytestmark = pytest.mark.e2e

# local.run's defaults (LOCAL_STALE_MARGIN_SECONDS, LOCAL_SWEEP_SECONDS).
LOCAL_STALE_MARGIN_SECONDS = 5
LOCAL_SWEEP_SECONDS = 10

# Denser than `make faults` so that every kind shows up in a small run; the worker timeout is the
# stack's minimum and the lease grace short, so a crashed job's lease (timeout + grace) ends soon.
# The crash dice are not seeded (each worker process rolls its own), so the rate alone makes a crash
# near certain: the run has about 50 invocations, none doomed at 0.15 with odds of 0.85**50 ≈ 0.03%.
SMALL_RUN = FaultRunConfig(
    jobs=36,
    provider_faults="429:0.1,500:0.05,503:0.03,timeout:0.03,invalid_json:0.03,truncated:0.02,blocked:0.02,quota:0.02",
    crash_rate=0.15,
    aws_faults="dynamodb:0.03,kms:0.03,sqs:0.03,secretsmanager:0.05",
    duplicate_share=0.25,
    post_retry_share=0.15,
    visibility_seconds=4,
    worker_timeout_seconds=10,
    lease_grace_seconds=3,
    worker_processes=3,
    seed=6,
    settle_seconds=120,
    require_idempotency=True,
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> FaultReport:
    workdir: Path = tmp_path_factory.mktemp("fault-run")
    return build_report(run_faults(SMALL_RUN, workdir, log=lambda _: None))


def test_every_invariant_holds_under_faults(report: FaultReport) -> None:
    # Given a small fault run (provider faults, crashes, AWS failures, duplicates, repeated POSTs)
    # When its report is read
    # Then nothing is lost or stuck, no step was paid twice without a crash after the call, no key
    # is in any store or log, and the stack stopped cleanly
    assert report.violations() == [], report.format()


def test_the_run_covered_every_job_type_route_and_kind_of_fault(report: FaultReport) -> None:
    # Given the same run
    result = report.result
    # Then nearly every job was accepted (a POST is repeated after a 5xx), over all 8 x 3 paths
    assert len(report.accepted) >= 0.9 * SMALL_RUN.jobs, report.format()
    assert {(s.job_type, s.route) for s in report.accepted.values()} == {
        (s.job_type, s.route) for s in result.submissions
    }
    # and the providers failed calls, AWS calls failed, messages were delivered twice
    faults = {kind for stats in result.fake_stats.values() for kind in stats["faults"]}
    assert len(faults) >= 4, report.format()
    assert sum(report.aws_faults.values()) > 0, report.format()
    assert sum(s.duplicates_sent for s in result.submissions) > 0, report.format()
    # and a worker process was killed mid-batch at least once (a crash event from local/faults/crash.py)
    assert report.crashes, report.format()
    assert all(crash["job_ids"] for crash in report.crashes), report.crashes
    # and POSTs were repeated with the same Idempotency-Key, each answered with the first POST's job
    retried = [s for s in result.submissions if s.retry_job_id is not None]
    assert retried, report.format()
    assert [s.retry_job_id for s in retried] == [s.job_id for s in retried]
    assert result.idempotency_honoured is True, report.format()
    # and the jobs that succeeded had their steps checked
    assert report.steps.checked >= len(report.accepted) // 2, report.format()


def test_every_job_ended_within_the_bound(report: FaultReport) -> None:
    # Given the bound docs/reliability.md states (cv_jobs/sweeper/sweep.py): R receives of the
    # message at most V apart, then a last lease of T + the lease grace, the sweep's margin and its
    # interval
    receives = environment_config_from_file("dev").max_receive_count
    bound = (
        receives * SMALL_RUN.visibility_seconds
        + SMALL_RUN.worker_timeout_seconds
        + SMALL_RUN.lease_grace_seconds
        + LOCAL_STALE_MARGIN_SECONDS
        + LOCAL_SWEEP_SECONDS
    )

    # Then every accepted job reached a terminal state within it
    assert len(report.seconds_to_terminal) == len(report.accepted)
    assert max(report.seconds_to_terminal) <= bound, report.format()
