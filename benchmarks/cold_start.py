"""Cold starts, each in a fresh interpreter, interleaved: the api against its two twins, and the
worker on a Gemini-only and an OpenAI batch.

api: import of the handler module + its first request served (routing, validation, AWS clients
built, KMS/DynamoDB/SQS calls made against the run's moto server), for the real handler and for
the two twins in benchmarks/twins (bare Powertools + boto3: the floor; FastAPI + Mangum: what the
old service ran). The request is `POST /ai/jobs/extract` with the backend-engineer sample CV and
BYOK OpenAI headers. A poll (GET) as the first request is shown for the real handler too.

worker: import of the handler + its first batch (one extract job, BYOK, against the zero-latency
fake provider), and whether the openai SDK was imported by the end.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.child import Context
from benchmarks.harness import Samples, count_child_instructions, fmt, interleave, print_table, run_child
from benchmarks.stack import BYOK, BenchStack, api_event
from local.examples import example_request

WARM_REQUESTS = 5
WARM_BATCHES = 3


@dataclass(frozen=True)
class ApiCase:
    module: str
    first: str  # "create" or "get"
    functions_dir: str | None = None


API_CASES = {
    "ours (cv_jobs.api.handler)": ApiCase("cv_jobs.api.handler", "create"),
    "bare twin (Powertools + boto3)": ApiCase("benchmarks.twins.bare_create", "create"),
    "FastAPI + Mangum twin": ApiCase("benchmarks.twins.fastapi_create", "create"),
    "ours, a poll (GET) first": ApiCase("cv_jobs.api.handler", "get"),
}
# BENCH_BASELINE=<a copy of functions/> adds the same handler from there, e.g. the last commit's:
#   git archive HEAD functions | tar -x -C /tmp/base && BENCH_BASELINE=/tmp/base/functions make bench
if os.environ.get("BENCH_BASELINE"):
    API_CASES["ours at BENCH_BASELINE"] = ApiCase(
        "cv_jobs.api.handler", "create", os.environ["BENCH_BASELINE"]
    )
WORKER_CASES = {"worker, Gemini batch": "gemini", "worker, OpenAI batch": "openai"}
WATCHED = ["openai", "httpx", "pydantic", "boto3", "fastapi"]


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class JobMaker:
    """Creates jobs through the real api handler in this process (warm, not measured)."""

    def __init__(self, stack: BenchStack) -> None:
        self._stack = stack
        with environ(stack.api_env):
            from cv_jobs.api import handler

            handler._app.cache_clear()
            self._handler = handler.lambda_handler
            self._ready = handler

    def create(self, provider: str, job_path: str = "extract") -> str:
        with environ(self._stack.api_env):
            response = self._handler(
                api_event(
                    "POST", f"/ai/jobs/{job_path}", body=example_request(job_path), headers=BYOK[provider]
                ),
                Context("cv-ai-jobs-api", 512, 10),
            )
        if response["statusCode"] != 202:
            raise RuntimeError(f"could not create a bench job: {response['statusCode']} {response['body']}")
        import json

        return str(json.loads(response["body"])["job_id"])


def api_spec(stack: BenchStack, case: ApiCase, job_id: str) -> dict[str, Any]:
    create = api_event("POST", "/ai/jobs/extract", body=example_request("extract"), headers=BYOK["openai"])
    get = api_event("GET", f"/ai/jobs/{job_id}")
    first = create if case.first == "create" else get
    return {
        "module": case.module,
        "handler": "lambda_handler",
        "events": [first] * (1 + WARM_REQUESTS),
        "function_name": "cv-ai-jobs-api",
        "memory_mb": 512,
        "timeout_s": 10,
        "watch_modules": WATCHED,
    }


def run(stack: BenchStack, rounds: int) -> dict[str, Samples]:
    maker = JobMaker(stack)
    poll_job = maker.create("openai")

    def api_case(case: ApiCase) -> Callable[[], Mapping[str, float]]:
        def measure() -> Mapping[str, float]:
            report = run_child(api_spec(stack, case, poll_job), stack.child_env("api", case.functions_dir))
            expected = 202 if case.first == "create" else 200
            if set(report["responses"]) != {expected}:
                raise RuntimeError(f"{case.module} answered {report['responses']}")
            return _metrics(report)

        return measure

    def worker_case(provider: str) -> Callable[[], Mapping[str, float]]:
        def measure() -> Mapping[str, float]:
            stack.drain()
            events = []
            for _ in range(1 + WARM_BATCHES):
                maker.create(provider)
                events.append({"Records": stack.sqs_records(1)})
            spec = {
                "module": "cv_jobs.worker.handler",
                "handler": "lambda_handler",
                "events": events,
                "function_name": "cv-ai-jobs-worker",
                "memory_mb": 1024,
                "timeout_s": 120,
                "watch_modules": WATCHED,
            }
            report = run_child(spec, stack.child_env("worker"))
            if any(response != {"failed": 0} for response in report["responses"]):
                raise RuntimeError(f"worker batch failed: {report['responses']}")
            return {**_metrics(report), "openai_imported": float(report["loaded"]["openai"])}

        return measure

    cases: dict[str, Callable[[], Mapping[str, float]]] = {
        name: api_case(case) for name, case in API_CASES.items()
    }
    cases.update({name: worker_case(provider) for name, provider in WORKER_CASES.items()})
    return interleave(cases, rounds)


def _metrics(report: dict[str, Any]) -> dict[str, float]:
    warm = sorted(report["warm_ms"])
    return {
        "import_ms": report["import_ms"],
        "first_ms": report["first_ms"],
        "cold_ms": report["cold_ms"],
        "cold_cpu_ms": report["cold_cpu_ms"],
        "warm_ms": warm[len(warm) // 2],
        "max_rss_mb": report["max_rss_mb"],
    }


def report(results: dict[str, Samples], rounds: int) -> None:
    fastapi = results["FastAPI + Mangum twin"].median("cold_ms")
    bare = results["bare twin (Powertools + boto3)"].median("cold_ms")
    fastapi_cpu = results["FastAPI + Mangum twin"].median("cold_cpu_ms")
    bare_cpu = results["bare twin (Powertools + boto3)"].median("cold_cpu_ms")
    rows = []
    for name in API_CASES:
        samples = results[name]
        cold = samples.median("cold_ms")
        cpu = samples.median("cold_cpu_ms")
        low, high = samples.spread("cold_ms")
        rows.append(
            [
                name,
                fmt(samples.median("import_ms")),
                fmt(samples.median("first_ms")),
                f"**{fmt(cold)}** ({fmt(low, 0)}-{fmt(high, 0)})",
                f"{cold / fastapi:.2f}x / {cpu / fastapi_cpu:.2f}x",
                f"{cold / bare:.2f}x / {cpu / bare_cpu:.2f}x",
                fmt(cpu),
                fmt(samples.median("warm_ms")),
                fmt(samples.median("max_rss_mb"), 0),
            ]
        )
    print_table(
        f"api cold start: import + first request, ms (median of {rounds} fresh interpreters, quartiles); "
        "ratios on wall / CPU time",
        [
            "case",
            "import",
            "first request",
            "cold start",
            "vs FastAPI",
            "vs bare",
            "CPU",
            "warm request",
            "peak RSS MB",
        ],
        rows,
    )
    rows = []
    for name in WORKER_CASES:
        samples = results[name]
        low, high = samples.spread("cold_ms")
        rows.append(
            [
                name,
                fmt(samples.median("import_ms")),
                fmt(samples.median("first_ms")),
                f"{fmt(samples.median('cold_ms'))} ({fmt(low, 0)}-{fmt(high, 0)})",
                fmt(samples.median("cold_cpu_ms")),
                fmt(samples.median("warm_ms")),
                fmt(samples.median("max_rss_mb"), 0),
                "yes" if max(samples.values["openai_imported"]) else "no",
            ]
        )
    print_table(
        f"worker cold start: import + first one-job batch, ms (median of {rounds}, quartiles)",
        [
            "case",
            "import",
            "first batch",
            "cold start",
            "CPU",
            "warm batch",
            "peak RSS MB",
            "openai SDK imported",
        ],
        rows,
    )


def count_instructions(stack: BenchStack) -> dict[str, int] | None:
    """Each api case's cold start (start-up, import, first request) in instructions, one run each
    under valgrind: a figure the machine's load does not move. None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    poll_job = JobMaker(stack).create("openai")
    counts = {}
    for name, case in API_CASES.items():
        spec = api_spec(stack, case, poll_job)
        spec["events"] = spec["events"][:1]  # the cold start only
        report, instructions = count_child_instructions(spec, stack.child_env("api", case.functions_dir))
        if set(report["responses"]) != {202 if case.first == "create" else 200}:
            raise RuntimeError(f"{case.module} answered {report['responses']}")
        counts[name] = instructions
    return counts


def report_instructions(counts: dict[str, int] | None) -> None:
    if counts is None:
        print("\nvalgrind not found: no instruction counts (apt-get install valgrind)")
        return
    fastapi, bare = counts["FastAPI + Mangum twin"], counts["bare twin (Powertools + boto3)"]
    rows = [
        [name, f"**{count / 1e6:,.0f}**", f"{count / fastapi:.3f}x", f"{count / bare:.3f}x"]
        for name, count in counts.items()
    ]
    print_table(
        "api cold start in instructions (valgrind cachegrind; interpreter start-up, import and first "
        "request; one run each, repeatable to about 0.01 %)",
        ["case", "million instructions", "vs FastAPI", "vs bare"],
        rows,
    )
