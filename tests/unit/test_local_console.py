"""The local console a person reads: one short line per event, the JSON lines in a file, and a busy
port named with the variable that moves it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from local.console import log_mode
from local.console_lines import human_line, plain_line
from local.ports import Port, busy_port

REPO_ROOT = Path(__file__).resolve().parents[2]
JOB = {
    "job_id": "0b7f5a8e-3a0c-4c55-9d0c-1f6f0a0e2f11",
    "job_type": "tailor",
    "timestamp": "2026-11-26 10:00:00,000+0000",
}
WORKER = {**JOB, "service": "cv-ai-jobs-worker", "provider": "gemini", "credential": "user", "attempt": 2}
EMF = {"_aws": {"CloudWatchMetrics": [{"Namespace": "CvAiJobs", "Metrics": [{"Name": "JobsCreated"}]}]}}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            {
                **JOB,
                "service": "cv-ai-jobs-api",
                "message": "job queued",
                "provider": "openai",
                "credential": "system",
            },
            "api      job 0b7f5a8e tailor queued (openai, system key)",
        ),
        (
            {**WORKER, "message": "job started", "model": "gemini-3.8-flash"},
            "processing (attempt 2, gemini-3.8-flash)",
        ),
        (
            {**WORKER, "message": "job succeeded", "seconds": 3.2},
            "worker   job 0b7f5a8e tailor succeeded in 3.2 s",
        ),
        (
            {
                **WORKER,
                "message": "job attempt failed; will retry",
                "code": "rate_limited",
                "hint": "HTTP 429",
            },
            "attempt 2 failed: rate_limited, will retry - HTTP 429",
        ),
        (
            {**WORKER, "message": "job failed", "code": "invalid_api_key"},
            "FAILED: invalid_api_key (attempt 2)",
        ),
        (
            {
                "service": "cv-ai-jobs-api",
                "message": "request refused",
                "status": 422,
                "code": "validation_error",
            },
            "request refused: 422 validation_error",
        ),
    ],
)
def test_each_job_event_is_one_short_line_with_its_job_and_code(
    record: dict[str, object], expected: str
) -> None:
    line = human_line({"level": "INFO", **record})

    assert expected in line
    assert "\n" not in line
    assert len(line) <= 160


def test_a_record_without_a_template_shows_its_message_and_short_fields_only() -> None:
    # Given an unknown record with a long field (a CV excerpt must never flood the console)
    record = {
        **WORKER,
        "level": "ERROR",
        "message": "something unexpected",
        "code": "internal_error",
        "detail": "x" * 500,
        "exception": "Traceback (most recent call last): ...",
    }

    line = human_line(record)

    assert "ERROR job 0b7f5a8e tailor: something unexpected" in line
    assert "code=internal_error" in line
    assert "x" * 61 not in line
    assert "[traceback in the log file]" in line


def test_the_stacks_own_lines_get_the_same_shape_and_routine_batches_are_left_out() -> None:
    assert plain_line("[local-gateway] POST /ai/jobs/extract -> 202 (12 ms)").endswith(  # type: ignore[union-attr]
        "gateway  POST /ai/jobs/extract → 202 (12 ms)"
    )
    assert plain_line("[local-sqs] batch of 3: 3 done, 0 failed") is None
    assert "1 failed" in (plain_line("[local-sqs] batch of 3: 2 done, 1 failed") or "")
    assert plain_line("CV AI Jobs - local mode") == "CV AI Jobs - local mode"


def test_log_mode_is_human_unless_json_is_asked_for() -> None:
    assert log_mode({}) == "human"
    assert log_mode({"LOCAL_LOG": "JSON"}) == "json"
    with pytest.raises(ValueError, match="LOCAL_LOG"):
        log_mode({"LOCAL_LOG": "verbose"})


def test_the_router_sends_records_to_the_file_and_one_line_each_to_the_console(tmp_path: Path) -> None:
    # Given a process whose fds 1 and 2 the router owns, with a child process writing like a worker
    log_file = tmp_path / "run.jsonl"
    script = textwrap.dedent(
        f"""
        import json, subprocess, sys
        from pathlib import Path
        from local.console import ConsoleRouter
        router = ConsoleRouter(Path({str(log_file)!r}), color=False).start()
        record = {json.dumps({**WORKER, "level": "INFO", "message": "job succeeded", "seconds": 1.5})!r}
        emf = {json.dumps(EMF)!r}
        child = "import sys; print(sys.argv[1]); print(sys.argv[2]); print(sys.argv[3])"
        batch = "[local-sqs] batch of 1: 1 done, 0 failed"
        subprocess.run([sys.executable, "-c", child, record, emf, batch], check=True)
        print("plain banner line", file=sys.stderr, flush=True)
        router.stop()
        print("after stop")
        """
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'functions'}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    # Then the console has one human line for the record, the plain line, and no JSON
    console = result.stdout.splitlines()
    assert any(line.endswith("worker   job 0b7f5a8e tailor succeeded in 1.5 s") for line in console), console
    assert "plain banner line" in console
    assert not any(line.lstrip().startswith("{") for line in console), console
    assert not any("batch of 1" in line for line in console)
    assert console[-1] == "after stop"
    # and the file has every line as JSON: the record, the metric, the plain lines wrapped
    documents = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    assert {"job succeeded"} == {d["message"] for d in documents if "message" in d}
    assert any("_aws" in d for d in documents)
    assert {"local": "plain banner line"} in documents


def test_a_busy_port_is_named_with_the_variable_that_moves_it() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]

        problem = busy_port("127.0.0.1", [Port(taken, "LOCAL_API_PORT", "the API")])

    assert problem is not None
    assert f"port {taken} (the API) is in use" in problem
    assert "set LOCAL_API_PORT to a free port" in problem


def test_free_ports_pass() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]

    assert (
        busy_port("127.0.0.1", [Port(free, "LOCAL_AWS_PORT", "the emulated AWS"), Port(0, "X", "any")])
        is None
    )


def test_make_run_stops_with_one_line_when_the_api_port_is_busy() -> None:
    # Given something already listening on the API port
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "LOCAL_"))}
        env.update({"LOCAL_API_PORT": str(taken), "FAKE_LLM": "1"})

        # When the local stack starts
        result = subprocess.run(
            [sys.executable, "-m", "local.run"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    # Then it stops at once with one line naming the port and LOCAL_API_PORT, and no traceback
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"port {taken} (the API) is in use" in lines[0]
    assert "LOCAL_API_PORT" in lines[0]
