"""The `cvjobs` command line: submit a job (and wait for it), read one, cancel one, test a key.

stdout carries JSON only (the job, or the key check), so scripts can pipe it; everything said to
the person at the terminal goes to stderr. The user's own provider key is read from
CVJOBS_USER_API_KEY or asked for without echo; it is never an argument (shell history, `ps`) and
never printed. The exit code says how it ended (ExitCode).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import time
from pathlib import Path
from typing import Any

from cvjobs.api import DEFAULT_API_KEY, DEFAULT_API_URL, Answer, Api, Byok, Unreachable
from cvjobs.fields import fields_of, job_types
from cvjobs.terminal import EXIT_TABLE, ExitCode, Parser, UsageError, say, write_json

PROVIDERS = ("openai", "gemini")
USER_KEY_VARIABLE = "CVJOBS_USER_API_KEY"
FINAL = {"succeeded", "failed", "cancelled"}


def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument(
        "--api-url", help=f"the API's base URL (default: $CVJOBS_API_URL or {DEFAULT_API_URL})"
    )
    common.add_argument(
        "--api-key", help="the API's X-API-Key (default: $CVJOBS_API_KEY or the local stack's)"
    )
    output = Parser(add_help=False)
    output.add_argument("--out", metavar="FILE", help="write the JSON to FILE instead of stdout")
    waiting = Parser(add_help=False)
    waiting.add_argument(
        "--wait", action="store_true", help="poll until the job is finished (progress on stderr)"
    )
    waiting.add_argument(
        "--timeout", type=float, default=300, metavar="SECONDS", help="stop waiting after (300)"
    )

    parser = Parser(
        prog="cvjobs",
        description="The CV AI Jobs API from the command line (the local stack by default).",
        epilog=f"Your own provider key: ${USER_KEY_VARIABLE}, or you are asked for it.\n\n"
        f"Exit codes:\n{EXIT_TABLE}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    submit = commands.add_parser("submit", help="submit a job", description="Submit a job of one type.")
    types = submit.add_subparsers(dest="job_path", required=True, metavar="JOB_TYPE")
    for job_type in job_types():
        sub = types.add_parser(
            job_type.path,
            help=job_type.summary,
            description=job_type.summary,
            parents=[common, waiting, output],
        )
        for field in fields_of(job_type):
            sub.add_argument(
                field.option,
                dest=f"field_{field.name}",
                metavar=field.metavar,
                choices=field.choices or None,
                help=field.help,
            )
        sub.add_argument(
            "--body", metavar="JSON_FILE", help="a whole request body; options replace its fields"
        )
        sub.add_argument(
            "--provider",
            choices=PROVIDERS,
            help=f"run on your own key for this provider (from ${USER_KEY_VARIABLE}, or asked for)",
        )
        sub.set_defaults(job_type=job_type)
    get = commands.add_parser("get", help="read a job", parents=[common, waiting, output])
    get.add_argument("job_id")
    cancel = commands.add_parser("cancel", help="cancel a job", parents=[common, output])
    cancel.add_argument("job_id")
    test_key = commands.add_parser("test-key", help="check your own provider key", parents=[common, output])
    test_key.add_argument("--provider", choices=PROVIDERS, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    api = Api(
        args.api_url or os.environ.get("CVJOBS_API_URL") or DEFAULT_API_URL,
        args.api_key or os.environ.get("CVJOBS_API_KEY") or DEFAULT_API_KEY,
    )
    try:
        return int(_run(args, api))
    except UsageError as error:
        say(str(error))
        return ExitCode.USAGE
    except Unreachable as error:
        say(f"{error}: is the API running (make run), and is --api-url right?")
        return ExitCode.SERVICE_ERROR
    except KeyboardInterrupt:
        say("stopped waiting; the job goes on (cvjobs get / cvjobs cancel)")
        return ExitCode.INTERRUPTED
    finally:
        api.close()


def _run(args: argparse.Namespace, api: Api) -> ExitCode:
    if args.command == "submit":
        return _submit(args, api)
    if args.command == "test-key":
        return _test_key(args, api)
    answer = api.cancel(args.job_id) if args.command == "cancel" else api.get(args.job_id)
    if answer.status != 200:
        return _refused(answer)
    if args.command == "get" and args.wait:
        return _wait(api, answer.body, args)
    return _finish(answer.body, args.out)


def _submit(args: argparse.Namespace, api: Api) -> ExitCode:
    body = _body(args)
    byok = user_key(args.provider) if args.provider else None
    answer = api.create(args.job_path, body, byok)
    if answer.status != 202:
        return _refused(answer, args.job_type)
    job_id = answer.body["job_id"]
    say(f"job {job_id} ({args.job_type.name}) queued")
    if not args.wait:
        write_json(answer.body, args.out)
        return ExitCode.NOT_FINISHED
    return _wait(api, {"job_id": job_id, "status": "queued"}, args)


def _body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.body:
        try:
            body = json.loads(Path(args.body).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UsageError(
                f"--body: cannot read a JSON object from {args.body} ({type(error).__name__})"
            ) from None
        if not isinstance(body, dict):
            raise UsageError(f"--body: {args.body} holds no JSON object")
    for field in fields_of(args.job_type):
        raw = getattr(args, f"field_{field.name}")
        if raw is not None:
            try:
                body[field.name] = field.value(raw)
            except ValueError as error:
                raise UsageError(str(error)) from None
    return body


def user_key(provider: str) -> Byok:
    """The user's key for `provider`: from the environment, else asked for on the terminal (hidden)."""
    key = os.environ.get(USER_KEY_VARIABLE, "").strip()
    if not key:
        try:
            with open("/dev/tty", "rb"):
                pass
        except OSError:
            raise UsageError(
                f"set {USER_KEY_VARIABLE} to your {provider} key (a key is never taken as an argument)"
            ) from None
        key = getpass.getpass(f"Your {provider} API key (not shown): ").strip()
    if not key:
        raise UsageError(f"no {provider} key given")
    return Byok(provider, key)


def _wait(api: Api, job: dict[str, Any], args: argparse.Namespace) -> ExitCode:
    started = time.monotonic()
    delay, seen, last_said = 0.5, None, started
    while True:
        status = job.get("status")
        progress = (status, job.get("attempts"), json.dumps(job.get("retry"), sort_keys=True))
        now = time.monotonic()
        if progress != seen:
            seen, last_said = progress, now
            say(_progress(job, now - started))
        elif now - last_said >= 10:
            last_said = now
            say(f"still {status} after {now - started:.0f} s")
        if status in FINAL:
            return _finish(job, args.out)
        if now - started > args.timeout:
            say(f"still {status} after {args.timeout:.0f} s; stopped waiting (cvjobs get {job['job_id']})")
            write_json(job, args.out)
            return ExitCode.NOT_FINISHED
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)
        answer = api.get(job["job_id"])
        if answer.status != 200:
            return _refused(answer)
        job = answer.body


def _progress(job: dict[str, Any], elapsed: float) -> str:
    parts = [f"{job.get('status')} after {elapsed:.1f} s"]
    if job.get("attempts"):
        parts.append(f"attempt {job['attempts']}")
    retry = job.get("retry")  # {code, attempt, max_attempts, next_attempt_at} while it waits to retry
    if isinstance(retry, dict) and retry.get("code"):
        parts.append(
            f"retrying after {retry['code']} (attempt {retry.get('attempt', '?')} of "
            f"{retry.get('max_attempts', '?')} at {retry.get('next_attempt_at', '?')})"
        )
    elif retry:
        parts.append(f"retry: {retry}")
    return "; ".join(parts)


def _finish(job: dict[str, Any], out: str | None) -> ExitCode:
    write_json(job, out)
    status = job.get("status")
    if status == "succeeded":
        return ExitCode.SUCCEEDED
    if status == "failed":
        error = job.get("error") or {}
        say(f"the job failed ({error.get('code')}): {error.get('message')}")
        return ExitCode.FAILED
    if status == "cancelled":
        say("the job is cancelled")
        return ExitCode.CANCELLED
    say(f"the job is {status}")
    return ExitCode.NOT_FINISHED


def _test_key(args: argparse.Namespace, api: Api) -> ExitCode:
    answer = api.test_key(user_key(args.provider))
    if answer.status != 200:
        return _refused(answer)
    check = answer.body
    write_json(check, args.out)
    say(check.get("message", ""))
    return (
        ExitCode.SUCCEEDED
        if check.get("valid") and check.get("model_available")
        else ExitCode.KEY_NOT_WORKING
    )


def _refused(answer: Answer, job_type: Any = None) -> ExitCode:
    body = answer.body if isinstance(answer.body, dict) else {}
    error = body.get("error") or {}
    say(f"refused ({answer.status} {error.get('code', '')}): {error.get('message', 'no error body')}")
    if body.get("detail") and body["detail"] != error.get("message"):
        say(body["detail"])
    options = {field.name: field.option for field in fields_of(job_type)} if job_type else {}
    for problem in body.get("fields") or []:
        name = str(problem.get("field", ""))
        say(f"  {options.get(name.split('.')[0], name)} ({name}): {problem.get('message')}")
    if answer.status == 404 and answer.error_code == "job_not_found":
        return ExitCode.NOT_FOUND
    return ExitCode.SERVICE_ERROR if answer.status >= 500 else ExitCode.REFUSED
