"""What a fault run proves, in numbers: jobs submitted, terminal, lost, stuck; time to a terminal
state; paid answers per succeeded step (exactly one, unless a crash came after the call); failures
by code; the faults injected; canary-key occurrences in every store and log. `violations()` lists
the invariants that did not hold (the test asserts it is empty; `make faults` prints the report)."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from cv_jobs.job_types import BY_NAME
from cv_jobs.job_types.schema import provider_schema
from local.faults import events
from local.faults.run import FaultRunResult
from local.faults.stack import TERMINAL
from local.faults.traffic import CANARY_KEYS, ROUTES

_MARKER = re.compile(rb"fault-run-[0-9a-f]{32}")
_DESERIALIZER = TypeDeserializer()


@dataclass
class StepCheck:
    checked: int = 0
    exactly_one: int = 0
    more_after_crash: int = 0
    unexplained: list[str] = field(default_factory=list)  # "job step: n answers"


@dataclass
class FaultReport:
    result: FaultRunResult
    accepted: dict[str, Any]  # job id -> submission
    items: dict[str, dict[str, Any]]  # job id -> record (plain values)
    lost: list[str]
    stuck: list[str]
    orphans: list[str]
    seconds_to_terminal: list[float]
    steps: StepCheck
    crashes: list[dict[str, Any]]
    aws_faults: Counter[str]
    canaries: dict[str, int]

    def violations(self) -> list[str]:
        problems = []
        if self.lost:
            problems.append(f"{len(self.lost)} accepted jobs lost: {self.lost[:5]}")
        if self.stuck:
            problems.append(f"{len(self.stuck)} jobs not terminal: {self.stuck[:5]}")
        if self.steps.unexplained:
            problems.append(
                f"steps paid more than once with no crash after the call: {self.steps.unexplained[:5]}"
            )
        leaks = {store: n for store, n in self.canaries.items() if n}
        if leaks:
            problems.append(f"canary keys found: {leaks}")
        if self.result.idempotency_honoured is False and self.result.config.require_idempotency:
            problems.append("a POST retried with the same Idempotency-Key created a second job")
        if self.result.stack_exit_code != 0:
            problems.append(f"the local stack did not stop cleanly (exit code {self.result.stack_exit_code})")
        return problems

    def format(self) -> str:
        config, result = self.result.config, self.result
        statuses = Counter(item["status"] for item in self.items.values())
        failed = Counter(
            (item.get("error") or {}).get("code", "?")
            for item in self.items.values()
            if item["status"] == "failed"
        )
        refused = Counter(s.statuses[-1] for s in result.submissions if not s.job_id)
        p50, p95, top = _percentiles(self.seconds_to_terminal)
        lines = [
            f"Fault run: {config.jobs} jobs over {len(BY_NAME)} job types x "
            f"{', '.join(route for route, _, _ in ROUTES)} in {result.elapsed_seconds:.0f} s",
            f"  faults: providers {config.provider_faults}; worker crashes {config.crash_rate:g} of "
            f"invocations; AWS {config.aws_faults}; duplicate deliveries {config.duplicate_share:g} of jobs; "
            f"POST retries {config.post_retry_share:g}; visibility {config.visibility_seconds} s, "
            f"worker timeout {config.worker_timeout_seconds} s, {config.worker_processes} worker processes",
            "",
            f"  submitted        {len(result.submissions):>5}   accepted {len(self.accepted)}"
            + (f"; refused {_counts(refused)}" if refused else "")
            + f"; POSTs repeated after a 5xx or no answer: "
            f"{sum(1 for s in result.submissions if len(s.statuses) > 1)}",
            f"  terminal         {sum(statuses[s] for s in TERMINAL):>5}   {_counts(statuses)}",
            f"  lost             {len(self.lost):>5}   (must be 0)",
            f"  stuck            {len(self.stuck):>5}   (must be 0)",
            f"  records without an accepted POST: {len(self.orphans)} (all terminal unless listed as stuck)",
            f"  time to terminal p50 {p50:.1f} s   p95 {p95:.1f} s   max {top:.1f} s",
            f"  paid answers per succeeded step: {self.steps.checked} steps, exactly one "
            f"{self.steps.exactly_one}, more after a crash {self.steps.more_after_crash}, "
            f"more without a crash {len(self.steps.unexplained)} (must be 0)",
            f"  failed by code   {_counts(failed) or 'none'}",
            "  by route         "
            + "; ".join(f"{route} {_counts(counts)}" for route, counts in self._by_route().items()),
            "",
            "  injected",
        ]
        for provider, stats in result.fake_stats.items():
            lines.append(
                f"    {provider} fake: {stats['requests']} calls, {stats['answered']} answered, "
                f"faults {_counts(Counter(stats['faults'])) or 'none'}"
            )
        crashed = {job for crash in self.crashes for job in crash.get("job_ids", [])}
        retried = [s for s in result.submissions if s.retry_job_id is not None]
        same = sum(1 for s in retried if s.retry_job_id == s.job_id)
        stopped = "cleanly" if result.stack_exit_code == 0 else f"exit code {result.stack_exit_code}"
        idempotency = {True: "honoured", False: "NOT honoured", None: "not tried"}[
            result.idempotency_honoured
        ]
        lines += [
            f"    AWS call failures: {_counts(self.aws_faults) or 'none'}",
            f"    worker crashes: {len(self.crashes)} (jobs in the killed batches: {len(crashed)})",
            f"    duplicate deliveries sent: {sum(s.duplicates_sent for s in result.submissions)}",
            f"    POSTs repeated with the same Idempotency-Key: {len(retried)}, same job {same} "
            f"({idempotency})",
            "",
            f"  left on the queue {len(result.queue_messages['queue'])}, in the DLQ "
            f"{len(result.queue_messages['dlq'])}",
            "  canary keys      "
            + ", ".join(f"{store} {n}" for store, n in self.canaries.items())
            + " (must be 0)",
            f"  stack stopped    {stopped}",
        ]
        problems = self.violations()
        lines += ["", "  VIOLATED: " + "; ".join(problems) if problems else "  every invariant held"]
        return "\n".join(lines)

    def _by_route(self) -> dict[str, Counter[str]]:
        by_route: dict[str, Counter[str]] = defaultdict(Counter)
        for job_id, submission in self.accepted.items():
            by_route[submission.route][self.items.get(job_id, {}).get("status", "lost")] += 1
        return dict(sorted(by_route.items()))


def build_report(result: FaultRunResult) -> FaultReport:
    accepted = {s.job_id: s for s in result.submissions if s.job_id}
    # Jobs only: the Idempotency-Key records beside them (no status) are scanned for canaries below.
    items = {item["job_id"]: item for item in (_plain(raw) for raw in result.items) if "status" in item}
    fault_events = events.read(result.log_text.splitlines())
    crashes = [event for event in fault_events if event["local_fault"] == events.WORKER_CRASH]
    aws_faults = Counter(
        f"{event['service']} {event['error']}"
        for event in fault_events
        if event["local_fault"] == events.AWS_FAULT
    )
    seconds = [
        (_when(items[job]["updated_at"]) - _when(items[job]["created_at"]))
        for job in accepted
        if job in items and items[job]["status"] in TERMINAL
    ]
    return FaultReport(
        result=result,
        accepted=accepted,
        items=items,
        lost=sorted(set(accepted) - set(items)),
        stuck=sorted(job for job, item in items.items() if item["status"] not in TERMINAL),
        orphans=sorted(set(items) - set(accepted)),
        seconds_to_terminal=seconds,
        steps=_check_steps(result, accepted, items, crashes),
        crashes=crashes,
        aws_faults=aws_faults,
        canaries=_canaries(result),
    )


def _check_steps(
    result: FaultRunResult, accepted: dict[str, Any], items: dict[str, Any], crashes: list[dict[str, Any]]
) -> StepCheck:
    # A repeated POST the api did not recognise made a second job with the same marker: its paid
    # answers cannot be told apart, so its steps are not counted.
    by_marker = {s.marker: s for s in accepted.values() if s.retry_job_id in (None, s.job_id)}
    answers: dict[tuple[str, str], list[float]] = defaultdict(list)
    for provider, outcomes in result.outcomes.items():
        for outcome in outcomes:
            found = _MARKER.search(outcome.request.raw_body)
            submission = by_marker.get(found.group().decode()) if found else None
            if outcome.outcome != "answered" or submission is None:
                continue
            answers[
                (submission.marker, _step_of(submission.job_type, provider, outcome.request.body))
            ].append(outcome.at)
    check = StepCheck()
    for job_id, submission in accepted.items():
        if submission.marker not in by_marker or items.get(job_id, {}).get("status") != "succeeded":
            continue
        for step in BY_NAME[submission.job_type].steps:
            times = sorted(answers.get((submission.marker, step.name), []))
            check.checked += 1
            if len(times) == 1:
                check.exactly_one += 1
            elif times and any(job_id in c.get("job_ids", []) and c["at"] > times[0] for c in crashes):
                check.more_after_crash += 1
            else:
                check.unexplained.append(f"{job_id} {step.name}: {len(times)} answers")
    return check


def _step_of(job_type: str, provider: str, body: Any) -> str:
    steps = BY_NAME[job_type].steps
    if len(steps) == 1 or not isinstance(body, dict):
        return steps[0].name
    if provider == "openai":
        name = str(((body.get("response_format") or {}).get("json_schema") or {}).get("name", ""))
        return name.removeprefix(f"{job_type}_")
    schema = (body.get("generationConfig") or {}).get("responseJsonSchema")
    return next((step.name for step in steps if provider_schema(step.output_model) == schema), "?")


def _canaries(result: FaultRunResult) -> dict[str, int]:
    stores = {
        "jobs table": json.dumps(result.items),
        **{f"table {name}": json.dumps(items) for name, items in result.other_tables.items()},
        "queue": json.dumps(result.queue_messages["queue"], default=_bytes),
        "DLQ": json.dumps(result.queue_messages["dlq"], default=_bytes),
        "SQS deliveries": result.captured,
        "logs": result.log_text,
        "HTTP responses": "\n".join(result.http_text),
    }
    forms = [form for key in CANARY_KEYS for form in (key, base64.b64encode(key.encode()).decode())]
    return {store: sum(text.count(form) for form in forms) for store, text in stores.items()}


def _bytes(value: Any) -> str:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else str(value)


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def _when(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], ordered[-1]


def _counts(counter: Counter[Any]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counter.most_common() if count)
