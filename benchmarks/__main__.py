"""`python -m benchmarks [names...]`: run the benchmarks (all by default) and print their tables.

Numbers, not assertions. Everything runs on this machine against one moto server and the fake
providers (no network); the load average before and after is printed, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for _path in (Path(os.environ.get("BENCH_FUNCTIONS") or REPO / "functions"), REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from benchmarks import bundle_sizes, cold_start, cost_model, local_throughput, worker_jobs  # noqa: E402
from benchmarks.harness import load_average  # noqa: E402
from benchmarks.stack import bench_stack  # noqa: E402

BENCHMARKS = ("cold", "overhead", "batches", "cost", "local", "bundles")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="which to run (default: all)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds for the cold starts")
    parser.add_argument("--local-jobs", type=int, default=300, help="jobs per local throughput run")
    args = parser.parse_args()
    names = args.names or list(BENCHMARKS)
    print(f"# benchmarks, {time.strftime('%Y-%m-%d %H:%M')}; before: {load_average()}")
    with bench_stack() as stack:
        if "cold" in names:
            cold_start.report(cold_start.run(stack, args.rounds), args.rounds)
            cold_start.report_instructions(cold_start.count_instructions(stack))
        if {"overhead", "batches", "cost"} & set(names):
            maker = cold_start.JobMaker(stack)
            stack.drain()
        if "overhead" in names:
            worker_jobs.report_overhead(worker_jobs.run_overhead(stack, maker, 3), 3)
        if "batches" in names:
            worker_jobs.report_batches(worker_jobs.run_batches(stack, maker, 3), 3)
        if "cost" in names:
            cost_model.report(cost_model.run(stack))
    if "local" in names:
        # Its own stacks, one per run (each with its own moto and fakes).
        results = local_throughput.run(rounds=2, jobs=args.local_jobs, worker_counts=(1, 2, 4))
        local_throughput.report(results, 2, args.local_jobs)
    if "bundles" in names:
        bundle_sizes.report(bundle_sizes.measure(pruned=False), bundle_sizes.measure(pruned=True))
    print(f"\nafter: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
