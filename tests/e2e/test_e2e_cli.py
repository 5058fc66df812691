"""`.venv/bin/cvjobs` (made by `make setup`) against the local stack, as a person or a script runs it:
progress on stderr and the finished job on stdout, every job type from its options or a body file,
the user's key from the environment or a hidden prompt and never printed, and exit codes that say
how it ended."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cv_jobs.job_types import JOB_TYPES
from local.examples import example_request
from tests.e2e.support import (
    GATEWAY_API_KEY,
    GEMINI_BYOK_KEY,
    OPENAI_BYOK_KEY,
    REPO_ROOT,
    SAMPLES,
    GatewayClient,
    LocalStack,
    marked_cv,
    provider_calls_for,
)

pytestmark = pytest.mark.e2e

CVJOBS = REPO_ROOT / ".venv" / "bin" / "cvjobs"
REFUSED_KEY = "sk-canary-invalid-cli-0123456789abcdef"
CV = str(SAMPLES / "cv_backend_engineer.txt")
JOB = str(SAMPLES / "jd_platform_engineer.txt")
SLOW_CALL_SECONDS = 3


# Jobs the commands created, deleted after each test: the stack is shared, and tests that scan its
# table while jobs run must stay fast.
_created: list[str] = []


@pytest.fixture(autouse=True)
def _forget_created_jobs(local_stack: LocalStack) -> Iterator[None]:
    yield
    local_stack.forget_jobs(list(dict.fromkeys(_created)))
    _created.clear()


def cvjobs(
    stack: LocalStack,
    *args: str,
    user_key: str | None = None,
    timeout: float = 60,
    api_from_environment: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI; the stack's URL and key are in CVJOBS_API_URL / CVJOBS_API_KEY unless
    `api_from_environment` is False (then no CVJOBS_ variable is set but the user key)."""
    if not CVJOBS.is_file():
        pytest.fail(f"{CVJOBS} is missing: run `make setup`", pytrace=False)
    env = {name: value for name, value in os.environ.items() if not name.startswith("CVJOBS_")}
    if api_from_environment:
        env.update({"CVJOBS_API_URL": stack.api_url, "CVJOBS_API_KEY": GATEWAY_API_KEY})
    if user_key is not None:
        env["CVJOBS_USER_API_KEY"] = user_key
    # A new session: no controlling terminal, so a missing key can never wait for a prompt.
    run = subprocess.run(  # noqa: S603 - our own client
        [str(CVJOBS), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        check=False,
    )
    outputs = [run.stdout] + [
        Path(args[i + 1]).read_text(encoding="utf-8") for i, a in enumerate(args) if a == "--out"
    ]
    for output in outputs:
        try:
            document = json.loads(output)
        except ValueError:
            continue
        if isinstance(document, dict) and "job_id" in document:
            _created.append(document["job_id"])
    return run


def test_submit_waits_showing_progress_and_prints_the_finished_job(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # When an extract is submitted from sample files and waited for
    run = cvjobs(local_stack, "submit", "extract", "--cv", CV, "--job-description", JOB, "--wait")

    # Then it exits 0 with the finished job (the GET body) on stdout and its progress on stderr
    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)
    assert job["status"] == "succeeded"
    assert job["result"]["target_job"]["title"]
    assert job == gateway.get_job(job["job_id"]).json()
    assert f"job {job['job_id']} (extract) queued" in run.stderr
    assert "succeeded after" in run.stderr


def test_api_url_and_key_flags_reach_the_stack_without_the_environment(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given no CVJOBS_API_URL / CVJOBS_API_KEY (the local defaults are not this stack's port and key)
    # When an extract is submitted with the stack's URL and key as --api-url / --api-key, and waited for
    run = cvjobs(
        local_stack, "submit", "extract", "--cv", CV, "--wait",
        "--api-url", local_stack.api_url, "--api-key", GATEWAY_API_KEY,
        api_from_environment=False,
    )  # fmt: skip

    # Then it succeeded on this stack, as the client that key belongs to
    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)
    assert job["status"] == "succeeded"
    assert job == gateway.get_job(job["job_id"]).json()


def test_a_byok_job_takes_the_key_from_the_environment_and_never_prints_it(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    # Given the user's Gemini key in CVJOBS_USER_API_KEY
    out = tmp_path / "job.json"

    # When a job is submitted with --provider gemini, the result going to a file
    run = cvjobs(
        local_stack, "submit", "extract", "--cv", CV, "--provider", "gemini", "--wait", "--out", str(out),
        user_key=GEMINI_BYOK_KEY,
    )  # fmt: skip

    # Then the job ran on that key at Gemini, stdout stayed empty, and the key was printed nowhere
    assert run.returncode == 0, run.stderr
    job = json.loads(out.read_text(encoding="utf-8"))
    assert (job["provider"], job["credential"], job["status"]) == ("gemini", "user", "succeeded")
    assert run.stdout == ""
    assert any(call.header("x-goog-api-key") == GEMINI_BYOK_KEY for call in local_stack.gemini.requests)
    assert GEMINI_BYOK_KEY not in run.stdout + run.stderr + out.read_text(encoding="utf-8")


def test_exit_codes_say_failed_refused_not_found_and_cancelled(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    # A job on a key the provider refuses: it fails, exit 3, the failed job on stdout
    failed = cvjobs(
        local_stack, "submit", "extract", "--cv", CV, "--provider", "openai", "--wait", user_key=REFUSED_KEY
    )
    assert failed.returncode == 3, failed.stderr
    assert json.loads(failed.stdout)["error"]["code"] == "invalid_api_key"
    assert "the job failed (invalid_api_key)" in failed.stderr

    # A CV of a few words: refused, exit 6, the problem named by its option
    short = tmp_path / "short.txt"
    short.write_text("Too short to be a CV.", encoding="utf-8")
    refused = cvjobs(local_stack, "submit", "extract", "--cv", str(short))
    assert refused.returncode == 6
    assert "refused (422 validation_error)" in refused.stderr
    assert "--cv (cv_text)" in refused.stderr
    assert refused.stdout == ""

    # An unknown job: exit 5
    assert cvjobs(local_stack, "get", str(uuid.uuid4())).returncode == 5

    # A job cancelled while its provider call is under way: queued without --wait (7), cancelled (4)
    cv_text, marker = marked_cv()
    marked = tmp_path / "marked.txt"
    marked.write_text(cv_text, encoding="utf-8")
    local_stack.openai.delay_next(SLOW_CALL_SECONDS)
    queued = cvjobs(local_stack, "submit", "extract", "--cv", str(marked))
    assert queued.returncode == 7, queued.stderr
    job_id = json.loads(queued.stdout)["job_id"]
    called = _provider_called(local_stack, marker)
    cancelled = cvjobs(local_stack, "cancel", job_id)
    assert cancelled.returncode == 4, cancelled.stderr
    assert json.loads(cancelled.stdout)["status"] == "cancelled"
    assert cvjobs(local_stack, "get", job_id).returncode == 4
    # The slowed call ends before other tests run: the stack is shared
    time.sleep(max(0.0, called + SLOW_CALL_SECONDS + 0.5 - time.monotonic()))


def _provider_called(stack: LocalStack, marker: str, timeout: float = 15) -> float:
    """When the fake OpenAI received the marked job's call (so its scripted delay is this job's)."""
    deadline = time.monotonic() + timeout
    while not provider_calls_for(stack.openai, marker):
        assert time.monotonic() < deadline, "the worker never called the provider"
        time.sleep(0.05)
    return time.monotonic()


def test_test_key_answers_for_a_working_and_a_refused_key(local_stack: LocalStack) -> None:
    # When a working OpenAI key is tested
    works = cvjobs(local_stack, "test-key", "--provider", "openai", user_key=OPENAI_BYOK_KEY)
    # Then exit 0, the check on stdout, a sentence on stderr
    assert works.returncode == 0, works.stderr
    assert json.loads(works.stdout)["valid"] is True
    # When the provider refuses the key: exit 8, and the code a job would fail with
    refused = cvjobs(local_stack, "test-key", "--provider", "openai", user_key=REFUSED_KEY)
    assert refused.returncode == 8
    assert json.loads(refused.stdout)["code"] == "invalid_api_key"
    for run in (works, refused):
        assert OPENAI_BYOK_KEY not in run.stdout + run.stderr
        assert REFUSED_KEY not in run.stdout + run.stderr


def test_the_key_is_asked_for_without_echo_when_not_in_the_environment(local_stack: LocalStack) -> None:
    # Given a terminal and no CVJOBS_USER_API_KEY
    env = {name: value for name, value in os.environ.items() if not name.startswith("CVJOBS_")}
    env.update({"CVJOBS_API_URL": local_stack.api_url, "CVJOBS_API_KEY": GATEWAY_API_KEY})
    pid, terminal = pty.fork()
    if pid == 0:  # the child: cvjobs on the pseudo-terminal
        os.execve(  # noqa: S606 - our own client, no shell
            str(CVJOBS), [str(CVJOBS), "test-key", "--provider", "gemini"], env
        )

    # When the person types the key at the prompt
    screen = _read_until(terminal, b"(not shown): ")
    os.write(terminal, GEMINI_BYOK_KEY.encode() + b"\n")
    screen += _read_until(terminal, None)
    _, status = os.waitpid(pid, 0)

    # Then the check ran with it (exit 0), and the key never appeared on the screen
    assert os.waitstatus_to_exitcode(status) == 0, screen
    assert b"Your gemini API key (not shown): " in screen
    assert b'"valid": true' in screen
    assert GEMINI_BYOK_KEY.encode() not in screen


def _read_until(terminal: int, marker: bytes | None, timeout: float = 20) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline and (marker is None or marker not in seen):
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_without_a_terminal_a_missing_key_is_a_usage_error_naming_the_variable(
    local_stack: LocalStack,
) -> None:
    run = cvjobs(local_stack, "test-key", "--provider", "openai")

    assert run.returncode == 2
    assert "CVJOBS_USER_API_KEY" in run.stderr


def test_a_key_given_as_an_argument_is_refused_before_anything_is_sent(local_stack: LocalStack) -> None:
    # (tests/unit/test_cli_options.py checks that no job type's option takes a key)
    run = cvjobs(local_stack, "submit", "extract", "--cv", CV, "--user-api-key", OPENAI_BYOK_KEY)

    assert run.returncode == 2
    assert "unrecognized arguments" in run.stderr
    assert OPENAI_BYOK_KEY not in run.stderr


def _submit_body(
    stack: LocalStack, path: str, body_file: Path
) -> tuple[str, subprocess.CompletedProcess[str]]:
    return path, cvjobs(stack, "submit", path, "--body", str(body_file), "--wait")


def test_every_job_type_runs_from_a_body_file(local_stack: LocalStack, tmp_path: Path) -> None:
    # Given each registered job type's example request in a file
    files = {}
    for job_type in JOB_TYPES:
        files[job_type.path] = tmp_path / f"{job_type.path}.json"
        files[job_type.path].write_text(json.dumps(example_request(job_type.path)), encoding="utf-8")

    # When each is submitted with --body and waited for
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(pool.map(lambda item: _submit_body(local_stack, *item), files.items()))

    # Then each succeeds with its job type's result
    for job_type in JOB_TYPES:
        run = runs[job_type.path]
        assert run.returncode == 0, (job_type.path, run.stderr)
        job: dict[str, Any] = json.loads(run.stdout)
        assert job["job_type"] == job_type.name
        job_type.result_model.model_validate(job["result"])


def test_fields_as_options_text_files_choices_and_json_files(local_stack: LocalStack, tmp_path: Path) -> None:
    # Given a section in a file, a choice and a CVData in a JSON file
    section = tmp_path / "summary.txt"
    section.write_text(example_request("rephrase")["section_content"], encoding="utf-8")
    cv_json = tmp_path / "cv.json"
    cv_json.write_text(json.dumps(example_request("evaluate")["cv_json"]), encoding="utf-8")

    # When a rephrase and an evaluate are submitted from options
    rephrase = cvjobs(
        local_stack, "submit", "rephrase", "--section-content", str(section), "--section-type", "summary",
        "--instruction-type", "shorten", "--wait",
    )  # fmt: skip
    evaluate = cvjobs(
        local_stack, "submit", "evaluate", "--cv-json", str(cv_json), "--job-description", JOB, "--wait"
    )

    # Then both ran with those fields
    assert rephrase.returncode == 0, rephrase.stderr
    assert json.loads(rephrase.stdout)["result"]["section_type"] == "summary"
    assert evaluate.returncode == 0, evaluate.stderr
    assert len(json.loads(evaluate.stdout)["result"]["individual_evaluations"]) == 3
    # and a choice outside the enum is a usage error before anything is sent
    wrong = cvjobs(local_stack, "submit", "rephrase", "--instruction-type", "louder")
    assert wrong.returncode == 2
    assert "invalid choice" in wrong.stderr
