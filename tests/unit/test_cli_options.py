"""The `cvjobs` command line without a server: options derived from every job type's request model,
the request body they build, exit codes by job status, and no way to hand it a key as an argument.
(tests/e2e/test_e2e_cli.py runs it against the local stack.)"""

from __future__ import annotations

import argparse
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cv_jobs.job_types import BY_PATH, JOB_TYPES, JobType
from cvjobs import cli
from cvjobs.fields import Kind, fields_of
from cvjobs.terminal import ExitCode, UsageError

REGISTERED = [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES]


def _subparser(path: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        submit = action.choices["submit"]
        for sub_action in submit._subparsers._group_actions:  # type: ignore[union-attr]
            return sub_action.choices[path]  # type: ignore[no-any-return]
    raise AssertionError("no submit command")


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


@pytest.mark.parametrize("job_type", REGISTERED)
def test_every_request_field_has_its_option(job_type: JobType[Any, Any]) -> None:
    # Given the job type's request model and its submit command
    names = set(job_type.request_model.model_fields)
    options = _options(_subparser(job_type.path))

    # Then each field has one option, derived from the model (CV text as --cv)
    assert {field.name for field in fields_of(job_type)} == names
    for field in fields_of(job_type):
        assert field.option in options, field.name
    assert "--body" in options


def test_field_kinds_follow_the_request_schema() -> None:
    # Given fields of several shapes
    kinds = {
        (job, field.name): field
        for job in ("extract", "rephrase", "evaluate")
        for field in fields_of(BY_PATH[job])
    }

    # Then long text is read from a file, short text is given, enums are choices, objects are JSON files
    cv = kinds[("extract", "cv_text")]
    assert (cv.option, cv.kind, cv.required) == ("--cv", Kind.TEXT_FILE, True)
    assert kinds[("extract", "job_description")].required is False
    assert kinds[("rephrase", "section_type")].kind is Kind.TEXT
    instruction = kinds[("rephrase", "instruction_type")]
    assert instruction.kind is Kind.CHOICE
    assert "custom" in instruction.choices
    assert kinds[("evaluate", "cv_json")].kind is Kind.JSON_FILE


def test_no_option_takes_a_provider_key() -> None:
    for job_type in JOB_TYPES:
        options = _options(_subparser(job_type.path))
        # --api-key is the service's X-API-Key; a provider key only comes from the environment or a prompt
        assert {option for option in options if "key" in option} <= {"--api-key", "--keyword"}, job_type.name


def test_the_body_comes_from_a_body_file_with_options_replacing_its_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a body file, and a job description on standard input
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"cv_text": "from the file", "job_description": "old"}), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("Senior engineer, from stdin"))
    args = cli.build_parser().parse_args(["submit", "extract", "--body", str(body), "--job-description", "-"])

    # When the request body is built
    built = cli._body(args)

    # Then the option replaced the file's field and kept the others
    assert built == {"cv_text": "from the file", "job_description": "Senior engineer, from stdin"}


def test_a_json_option_that_does_not_parse_is_a_usage_error(tmp_path: Path) -> None:
    broken = tmp_path / "cv.json"
    broken.write_text("{not json", encoding="utf-8")
    args = cli.build_parser().parse_args(["submit", "evaluate", "--cv-json", str(broken)])

    with pytest.raises(UsageError, match=r"--cv-json: .* does not hold valid JSON"):
        cli._body(args)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("succeeded", ExitCode.SUCCEEDED),
        ("failed", ExitCode.FAILED),
        ("cancelled", ExitCode.CANCELLED),
        ("queued", ExitCode.NOT_FINISHED),
        ("processing", ExitCode.NOT_FINISHED),
    ],
)
def test_the_exit_code_says_how_the_job_ended(
    status: str, code: ExitCode, capsys: pytest.CaptureFixture[str]
) -> None:
    # When a job with this status is the command's answer
    result = cli._finish(
        {"job_id": "j", "status": status, "error": {"code": "timeout", "message": "m"}}, None
    )

    # Then the exit code is the status's, and the job is on stdout
    assert result is code
    assert json.loads(capsys.readouterr().out)["status"] == status


def test_exit_codes_are_distinct_and_zero_means_succeeded() -> None:
    values = [code.value for code in ExitCode]
    assert len(values) == len(set(values))
    assert [code for code in ExitCode if code.value == 0] == [ExitCode.SUCCEEDED]


def test_usage_errors_never_repeat_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    key = "sk-canary-typed-as-argument-0123456789"
    for argv in (["submit", "extract", "--user-api-key", key], ["test-key", "--provider", key]):
        # When a key is typed where it does not belong
        with pytest.raises(SystemExit) as exit_info:
            cli.build_parser().parse_args(argv)
        # Then it is a usage error that does not print it
        assert exit_info.value.code == ExitCode.USAGE
        assert key not in capsys.readouterr().err


def test_progress_says_a_retry_in_words() -> None:
    # Given a job waiting for another attempt, as GET shows it
    job = {
        "status": "queued",
        "attempts": 1,
        "retry": {
            "code": "rate_limited",
            "attempt": 2,
            "max_attempts": 3,
            "next_attempt_at": "2026-11-26T07:00:03+00:00",
        },
    }

    # Then the progress line says why, which attempt comes next of how many, and when
    assert cli._progress(job, 4.2) == (
        "queued after 4.2 s; attempt 1; "
        "retrying after rate_limited (attempt 2 of 3 at 2026-11-26T07:00:03+00:00)"
    )


class _RecordingApi:
    """A real HTTP server on loopback standing in for one API: answers every GET with a finished job
    and records the X-API-Key of each request it received."""

    def __init__(self) -> None:
        keys: list[str | None] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                keys.append(self.headers.get("X-API-Key"))
                body = json.dumps({"job_id": self.path.rsplit("/", 1)[-1], "status": "succeeded"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.keys = keys
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# Where each source of the connection settings points: three APIs, three X-API-Keys.
_KEYS = {"flag": "cvjobs-flag-key", "env": "cvjobs-env-key", "default": "cvjobs-default-key"}


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, _RecordingApi]]:
    """One recording API per source; the CLI's local defaults pointed at the "default" one."""
    servers = {source: _RecordingApi() for source in _KEYS}
    monkeypatch.setattr(cli, "DEFAULT_API_URL", servers["default"].url)
    monkeypatch.setattr(cli, "DEFAULT_API_KEY", _KEYS["default"])
    try:
        yield servers
    finally:
        for server in servers.values():
            server.close()


@pytest.mark.parametrize(
    ("flags", "variables", "expected_api", "expected_key"),
    [
        pytest.param({"url", "key"}, {"url", "key"}, "flag", "flag", id="flags-beat-the-environment"),
        pytest.param(set(), {"url", "key"}, "env", "env", id="the-environment-beats-the-defaults"),
        pytest.param(set(), set(), "default", "default", id="the-defaults-without-flags-or-environment"),
        pytest.param({"url"}, {"url", "key"}, "flag", "env", id="a-url-flag-keeps-the-environments-key"),
        pytest.param({"key"}, {"url"}, "env", "flag", id="a-key-flag-keeps-the-environments-url"),
    ],
)
def test_the_api_url_and_key_come_from_the_flag_then_the_environment_then_the_local_default(
    apis: dict[str, _RecordingApi],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: set[str],
    variables: set[str],
    expected_api: str,
    expected_key: str,
) -> None:
    # Given these settings in CVJOBS_API_URL / CVJOBS_API_KEY (the others unset)
    for setting, variable, value in (
        ("url", "CVJOBS_API_URL", apis["env"].url),
        ("key", "CVJOBS_API_KEY", _KEYS["env"]),
    ):
        if setting in variables:
            monkeypatch.setenv(variable, value)
        else:
            monkeypatch.delenv(variable, raising=False)
    # and these given as --api-url / --api-key
    argv = ["get", "job-1"]
    if "url" in flags:
        argv += ["--api-url", apis["flag"].url]
    if "key" in flags:
        argv += ["--api-key", _KEYS["flag"]]

    # When a job is read
    code = cli.main(argv)

    # Then exactly one request went to the expected API, carrying the expected X-API-Key
    assert code == ExitCode.SUCCEEDED, capsys.readouterr().err
    assert {source: api.keys for source, api in apis.items()} == {
        source: ([_KEYS[expected_key]] if source == expected_api else []) for source in apis
    }
