"""`python -m local.faults` (`make faults`): the fault run with its report; exit 1 if an invariant
(nothing lost, nothing stuck, one paid answer per step, no key anywhere) did not hold."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
for _path in (REPO_ROOT / "functions", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from local.faults.report import build_report  # noqa: E402
from local.faults.run import FaultRunConfig, run_faults  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    defaults = FaultRunConfig()
    parser = argparse.ArgumentParser(prog="python -m local.faults", description=__doc__)
    parser.add_argument("--jobs", type=int, default=defaults.jobs)
    parser.add_argument("--provider-faults", default=defaults.provider_faults, help="FAKE_LLM_FAULTS syntax")
    parser.add_argument("--crash-rate", type=float, default=defaults.crash_rate, help="of worker invocations")
    parser.add_argument("--aws-faults", default=defaults.aws_faults, help="LOCAL_AWS_FAULTS syntax")
    parser.add_argument("--duplicates", type=float, default=defaults.duplicate_share, help="share of jobs")
    parser.add_argument("--post-retries", type=float, default=defaults.post_retry_share, help="share of jobs")
    parser.add_argument("--workers", type=int, default=defaults.worker_processes)
    parser.add_argument("--in-flight", type=int, default=defaults.in_flight, help="jobs open at once")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--settle-seconds", type=float, default=defaults.settle_seconds)
    parser.add_argument(
        "--no-idempotency", action="store_true", help="do not fail on a repeated POST that made a new job"
    )
    parser.add_argument("--keep", type=Path, help="keep the stack's log and SQS capture in this folder")
    args = parser.parse_args(argv)
    config = FaultRunConfig(
        jobs=args.jobs,
        provider_faults=args.provider_faults,
        crash_rate=args.crash_rate,
        aws_faults=args.aws_faults,
        duplicate_share=args.duplicates,
        post_retry_share=args.post_retries,
        worker_processes=args.workers,
        in_flight=args.in_flight,
        seed=args.seed,
        settle_seconds=args.settle_seconds,
        require_idempotency=not args.no_idempotency,
    )
    with tempfile.TemporaryDirectory(prefix="fault-run-") as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        report = build_report(run_faults(config, workdir, log=lambda line: print(line, flush=True)))
    print(report.format(), flush=True)
    return 1 if report.violations() else 0


if __name__ == "__main__":
    sys.exit(main())
