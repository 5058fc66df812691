"""The fault run's judge (local/faults/report.py) on runs made up here: it passes a clean run and
catches each broken invariant (a step paid twice without a crash after the call, a job lost or
stuck, a key in a log), so a green fault run means something."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from local.fakes.base import Outcome, RecordedRequest
from local.faults.report import build_report
from local.faults.run import FaultRunConfig, FaultRunResult
from local.faults.traffic import OPENAI_KEY, Submission

JOB = "5b9d4c1e-2f3a-4d5b-8c6d-7e8f9a0b1c2d"
MARKER = "fault-run-" + "ab" * 16
CREATED = 1_795_000_000.0


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _answer(step: str, at: float, marker: str = MARKER) -> Outcome:
    body = {"response_format": {"json_schema": {"name": f"tailor_{step}"}}, "note": marker}
    raw = json.dumps(body).encode()
    request = RecordedRequest("POST", "/v1/chat/completions", {}, {}, body, raw)
    return Outcome(request, 200, "answered", at)


def _record(job_id: str, status: str, ended: float) -> dict[str, Any]:
    return {
        "job_id": {"S": job_id},
        "status": {"S": status},
        "created_at": {"S": _iso(CREATED)},
        "updated_at": {"S": _iso(ended)},
    }


def _run(
    answers: list[Outcome], log_lines: list[str], records: list[dict[str, Any]] | None = None
) -> FaultRunResult:
    """A one-job run: a tailor job (two steps) on OpenAI with the user's key."""
    submission = Submission("tailor", "tailor", "openai-byok", "openai", {}, MARKER, {}, job_id=JOB)
    return FaultRunResult(
        config=FaultRunConfig(jobs=1),
        submissions=[submission],
        items=records if records is not None else [_record(JOB, "succeeded", CREATED + 4)],
        other_tables={"budget": []},
        outcomes={"openai": answers, "gemini": []},
        fake_stats={"openai": {"requests": len(answers), "answered": len(answers), "faults": {}}},
        log_text="\n".join(log_lines),
        queue_messages={"queue": [], "dlq": []},
        captured="",
        http_text=[],
        idempotency_honoured=True,
        stack_exit_code=0,
        elapsed_seconds=5.0,
    )


def _crash(at: float) -> str:
    return json.dumps(
        {"local_fault": "worker_crash", "at": at, "pid": 1, "point": "before a write", "job_ids": [JOB]}
    )


def test_a_clean_run_holds_every_invariant() -> None:
    # Given a job whose two steps were each answered once, and nothing in any log
    result = _run([_answer("tailor", CREATED + 1), _answer("evaluate", CREATED + 2)], ["job succeeded"])

    # When the report is built
    report = build_report(result)

    # Then both steps count as paid once, the job ended in 4 s, and nothing is violated
    assert (report.steps.checked, report.steps.exactly_one) == (2, 2)
    assert report.seconds_to_terminal == [4.0]
    assert report.violations() == []
    assert "every invariant held" in report.format()


def test_a_step_paid_twice_without_a_crash_after_the_call_is_a_violation() -> None:
    # Given the evaluate step answered twice and no crash at all
    answers = [
        _answer("tailor", CREATED + 1),
        _answer("evaluate", CREATED + 2),
        _answer("evaluate", CREATED + 3),
    ]

    # When the report is built, Then it names the job and the step
    (problem,) = build_report(_run(answers, [])).violations()
    assert f"{JOB} evaluate: 2 answers" in problem


def test_a_crash_after_the_call_excuses_the_second_answer_but_one_before_it_does_not() -> None:
    # Given the evaluate step answered twice, with a crash of the job's batch after the first call
    answers = [
        _answer("tailor", CREATED + 1),
        _answer("evaluate", CREATED + 2),
        _answer("evaluate", CREATED + 9),
    ]

    # When the crash came after the first call, Then the second answer is excused
    excused = build_report(_run(answers, [_crash(CREATED + 2.5)]))
    assert excused.steps.more_after_crash == 1
    assert excused.violations() == []
    # When the only crash came before it, Then it is not
    assert build_report(_run(answers, [_crash(CREATED + 1.5)])).steps.unexplained


def test_lost_and_stuck_jobs_are_violations() -> None:
    # Given an accepted job with no record, then one still processing
    lost = build_report(_run([], [], records=[]))
    stuck = build_report(_run([], [], records=[_record(JOB, "processing", CREATED + 60)]))

    # Then each is named as what it is
    assert lost.lost == [JOB]
    assert any("lost" in problem for problem in lost.violations())
    assert stuck.stuck == [JOB]
    assert any("not terminal" in problem for problem in stuck.violations())


def test_a_key_in_any_form_in_a_log_is_a_violation() -> None:
    # Given logs holding a canary key as it is, then base64-encoded
    for leaked in (OPENAI_KEY, base64.b64encode(OPENAI_KEY.encode()).decode()):
        result = _run([_answer("tailor", CREATED + 1), _answer("evaluate", CREATED + 2)], [f"oops {leaked}"])

        # When the report is built, Then the logs are named as holding a key
        report = build_report(result)
        assert report.canaries["logs"] == 1
        assert any("canary keys found" in problem for problem in report.violations())


def test_idempotency_records_are_no_jobs_but_are_scanned_for_keys() -> None:
    # Given the jobs table also holds an Idempotency-Key's record (no status), one with a key in it
    answers = [_answer("tailor", CREATED + 1), _answer("evaluate", CREATED + 2)]
    record = {"job_id": {"S": "idem#" + "0" * 64}, "reserved_job_id": {"S": JOB}, "ttl": {"N": "1"}}
    leaking = {**record, "token": {"S": OPENAI_KEY}}

    # When the report is built
    clean = build_report(_run(answers, [], records=[_record(JOB, "succeeded", CREATED + 4), record]))
    leaked = build_report(_run(answers, [], records=[_record(JOB, "succeeded", CREATED + 4), leaking]))

    # Then the record is neither a job, a stuck job nor an orphan, and the run holds
    assert list(clean.items) == [JOB]
    assert (clean.stuck, clean.orphans, clean.violations()) == ([], [], [])
    # And a key in a record is still found, as in any item of the table
    assert leaked.canaries["jobs table"] == 1
    assert any("canary keys found" in problem for problem in leaked.violations())
