"""The worker warm, job by job and batch by batch.

overhead: single-job batches through the real handler (benchmarks/timed_worker.py) against moto and
the zero-latency fake providers; overhead = the invocation's wall time less the provider call
(claim, unseal, validation, prompt, client, result write, logs and metrics all count). One child per
case and round, a warm-up job first.

batches: ten jobs in one batch against fakes that answer every generation after a fixed latency
(1 s): how close the batch comes to one latency rather than ten. Gemini only, OpenAI only, and
mixed; warm (after a one-job batch) and cold (the ten-job batch is the first invocation).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from benchmarks.cold_start import JobMaker
from benchmarks.harness import Samples, fmt, interleave, print_table, run_child
from benchmarks.stack import HOST, BenchStack
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from local.fakes.base import RecordedRequest, Reply

OVERHEAD_JOBS = 10
OVERHEAD_CASES = {
    "Gemini BYOK, extract": ("gemini", "extract"),
    "OpenAI BYOK, extract": ("openai", "extract"),
    "OpenAI system key, rephrase": ("system", "rephrase"),
    "Gemini BYOK, tailor (2 calls)": ("gemini", "tailor"),
}
BATCH_SIZE = 10
LATENCY_SECONDS = 1.0
BATCH_CASES = {"10 x Gemini": ["gemini"], "10 x OpenAI": ["openai"], "10 mixed (5 + 5)": ["gemini", "openai"]}


def _spec(events: list[dict[str, Any]], module: str) -> dict[str, Any]:
    return {
        "module": module,
        "handler": "lambda_handler",
        "events": events,
        "function_name": "cv-ai-jobs-worker",
        "memory_mb": 1024,
        "timeout_s": 120,
        "watch_modules": ["openai"],
    }


def run_overhead(stack: BenchStack, maker: JobMaker, rounds: int) -> dict[str, Samples]:
    def case(provider: str, job_path: str) -> Callable[[], Mapping[str, float]]:
        def measure() -> Mapping[str, float]:
            events = []
            for _ in range(1 + OVERHEAD_JOBS):
                maker.create(provider, job_path)
                events.append({"Records": stack.sqs_records(1)})
            report = run_child(_spec(events, "benchmarks.timed_worker"), stack.child_env("worker"))
            jobs = report["responses"][1:]  # the first one warmed the process up
            if any(job["failed"] for job in jobs):
                raise RuntimeError(f"a benchmark job failed: {jobs}")
            return {name: _median([job.get(name, 0.0) for job in jobs]) for name in jobs[0]}

        return measure

    return interleave({name: case(*args) for name, args in OVERHEAD_CASES.items()}, rounds, warmup=0)


def report_overhead(results: dict[str, Samples], rounds: int) -> None:
    rows = []
    for name, samples in results.items():
        rows.append(
            [
                name,
                fmt(samples.median("total_ms")),
                fmt(samples.median("provider_ms")),
                f"**{fmt(samples.median('overhead_ms'))}**",
                fmt(samples.median("dynamodb_ms")),
                fmt(samples.median("kms_ms")) if "kms_ms" in samples.values else "-",
                fmt(samples.median("secret_ms")) if "secret_ms" in samples.values else "-",
                fmt(samples.median("emulator_ms")),
                fmt(_median(_difference(samples, "overhead_ms", "emulator_ms"))),
            ]
        )
    print_table(
        f"worker per-job time, warm, one job per batch, ms "
        f"(median of {OVERHEAD_JOBS} jobs x {rounds} rounds)",
        [
            "case",
            "invocation",
            "provider call",
            "overhead",
            "of which DynamoDB",
            "KMS",
            "Secrets Manager",
            "the emulator's own time in them",
            "overhead less the emulator's time",
        ],
        rows,
    )


def _difference(samples: Samples, minuend: str, subtrahend: str) -> list[float]:
    """Per measurement, so the median is of the differences."""
    return [a - b for a, b in zip(samples.values[minuend], samples.values[subtrahend], strict=True)]


class _SlowAnswers:
    """A fake provider that answers every generation after `latency` seconds."""

    latency = 0.0

    def route(self, request: RecordedRequest) -> Reply:
        reply: Reply = super().route(request)  # type: ignore[misc]
        if request.method == "POST" and self.latency:
            return dataclasses.replace(reply, delay_seconds=reply.delay_seconds + self.latency)
        return reply


class SlowOpenAI(_SlowAnswers, FakeOpenAIServer):
    pass


class SlowGemini(_SlowAnswers, FakeGeminiServer):
    pass


@contextmanager
def slow_providers(latency: float) -> Iterator[tuple[SlowOpenAI, SlowGemini]]:
    with SlowOpenAI(HOST) as openai, SlowGemini(HOST) as gemini:
        openai.latency = gemini.latency = latency
        yield openai, gemini


def run_batches(stack: BenchStack, maker: JobMaker, rounds: int) -> dict[str, Samples]:
    with slow_providers(LATENCY_SECONDS) as (openai, gemini):
        env = {**stack.child_env("worker"), "OPENAI_BASE_URL": openai.base_url, "GEMINI_BASE_URL": gemini.url}

        def batch(providers: list[str]) -> dict[str, Any]:
            for index in range(BATCH_SIZE):
                maker.create(providers[index % len(providers)], "rephrase")
            records = stack.sqs_records(BATCH_SIZE)
            if len(records) != BATCH_SIZE:
                raise RuntimeError(f"expected {BATCH_SIZE} queued jobs, found {len(records)}")
            return {"Records": records}

        def case(providers: list[str]) -> Callable[[], Mapping[str, float]]:
            def measure() -> Mapping[str, float]:
                # Warm means steady state: the environment has run a job of each provider before.
                for provider in providers:
                    maker.create(provider, "rephrase")
                warm_up = {"Records": stack.sqs_records(len(providers))}
                warm = run_child(_spec([warm_up, batch(providers)], "cv_jobs.worker.handler"), env)
                cold = run_child(_spec([batch(providers)], "cv_jobs.worker.handler"), env)
                for report in (warm, cold):
                    if any(response != {"failed": 0} for response in report["responses"]):
                        raise RuntimeError(f"batch failed: {report['responses']}")
                return {
                    "warm_batch_ms": warm["warm_ms"][0],
                    "cold_batch_ms": cold["cold_ms"],
                    "max_rss_mb": max(warm["max_rss_mb"], cold["max_rss_mb"]),
                }

            return measure

        return interleave(
            {name: case(providers) for name, providers in BATCH_CASES.items()}, rounds, warmup=0
        )


def report_batches(results: dict[str, Samples], rounds: int) -> None:
    sequential = BATCH_SIZE * LATENCY_SECONDS * 1000
    rows = []
    for name, samples in results.items():
        warm = samples.median("warm_batch_ms")
        cold = samples.median("cold_batch_ms")
        rows.append(
            [
                name,
                f"**{fmt(warm / 1000, 2)}**",
                f"{sequential / warm:.1f}x",
                fmt(cold / 1000, 2),
                f"{sequential / cold:.1f}x",
                fmt(samples.median("max_rss_mb"), 0),
            ]
        )
    print_table(
        f"a batch of {BATCH_SIZE} jobs, provider latency {LATENCY_SECONDS:g} s each, seconds "
        f"(median of {rounds}; sequential would take {sequential / 1000:g} s)",
        ["case", "warm batch", "vs sequential", "cold batch (incl. init)", "vs sequential", "peak RSS MB"],
        rows,
    )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
