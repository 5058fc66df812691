"""The real worker handler with stopwatches around the parts of a job (`benchmarks/stopwatches.py`),
loaded in a child as its handler module by the per-job overhead benchmark; never deployed. Each
invocation returns the handler's answer plus `bench_metrics`."""

from __future__ import annotations

from benchmarks.stopwatches import install_stopwatches, timed_invocation

install_stopwatches()
lambda_handler = timed_invocation
