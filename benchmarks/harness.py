"""How every benchmark measures and reports: fresh interpreters, interleaved rounds, medians.

A benchmark names its cases; `interleave` runs round after round, each case once per round in an
order that rotates, so a burst of load from another process on this shared machine lands on every
case alike instead of on whichever ran at that moment. Results are medians, with the spread.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "child.py"


@dataclass
class Samples:
    """Every figure one case produced, by metric name (milliseconds unless the name says so)."""

    values: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self.values.setdefault(name, []).append(float(value))

    def median(self, metric: str) -> float:
        return statistics.median(self.values[metric])

    def spread(self, metric: str) -> tuple[float, float]:
        """The middle half (quartiles) of the samples; min and max with fewer than four."""
        data = sorted(self.values[metric])
        if len(data) < 4:
            return data[0], data[-1]
        quartiles = statistics.quantiles(data, n=4)
        return quartiles[0], quartiles[2]


def interleave(
    cases: Mapping[str, Callable[[], Mapping[str, float]]], rounds: int, warmup: int = 1
) -> dict[str, Samples]:
    """Run each case once per round, rotating the order; the warm-up rounds are thrown away
    (they write the bytecode caches and fill the page cache)."""
    names = list(cases)
    results = {name: Samples() for name in names}
    for round_index in range(warmup + rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            metrics = cases[name]()
            if round_index >= warmup:
                results[name].add(metrics)
    return results


def run_child(spec: Mapping[str, Any], env: Mapping[str, str], timeout: float = 120) -> dict[str, Any]:
    """Run benchmarks/child.py in a fresh interpreter with only `env` (plus PATH) and `spec` on
    stdin; return the JSON object it prints last."""
    return _report(_run(spec, env, timeout, ()))


# Instructions, not seconds: the same count run after run (to about 0.01 %), whatever else the
# machine is doing. Without the cache simulation, about 25 times slower than the child alone.
CACHEGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")


def count_child_instructions(
    spec: Mapping[str, Any], env: Mapping[str, str], timeout: float = 600
) -> tuple[dict[str, Any], int]:
    """run_child under valgrind: its report and the instructions the child executed, all of them
    (interpreter start-up included)."""
    result = _run(spec, env, timeout, CACHEGRIND)
    counted = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if counted is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{result.stderr[-2000:]}")
    return _report(result), int(counted.group(1).replace(",", ""))


def _run(
    spec: Mapping[str, Any], env: Mapping[str, str], timeout: float, prefix: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our interpreter, our script
        [*prefix, sys.executable, str(CHILD)],
        input=json.dumps(spec),
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"bench"')]
    if result.returncode != 0 or not lines:
        raise RuntimeError(
            f"benchmark child failed (exit {result.returncode}):\n"
            f"{result.stderr[-3000:]}\n{result.stdout[-2000:]}"
        )
    report: dict[str, Any] = json.loads(lines[-1])["bench"]
    return report


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table, so a run can be pasted into docs/performance.md as it is."""
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if index == 0 else "---:" for index in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


class Stopwatch:
    """Milliseconds since it was made."""

    def __init__(self) -> None:
        self._started = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self._started) * 1000
