"""Smoke test against the real providers: `make smoke` (or `python -m local.smoke`).

With OPENAI_API_KEY and/or GEMINI_API_KEY set, it starts the local stack (`python -m local.run`,
no FAKE_LLM: the real providers, or OPENAI_BASE_URL / GEMINI_BASE_URL when set), runs every
registered job type once per provider that has a key, as a BYOK job with that key
(`local.examples` bodies), polls each to the end, validates each result against its job type's
result model, prints a table (job type, provider, model, status, seconds, tokens) and exits 1 on
any failure. With neither key set it prints one line saying it skipped, and exits 0.

Keys: they reach the stack only in the BYOK header of each request (the stack's own environment
gets neither variable, so nothing runs on a system key), are never printed, and every line this
script prints is scrubbed of them as a last guard. SMOKE_TIMEOUT_SECONDS (default 600) bounds the
whole run.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT / "functions") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "functions"))

import httpx  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from cv_jobs.job_types import JOB_TYPES, JobType  # noqa: E402
from local.child_stack import ChildStack, StackNotServing, free_port  # noqa: E402
from local.examples import example_request  # noqa: E402

KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "gemini": "GEMINI_API_KEY"}
# Never handed to the stack: its system key would be a real key, and BYOK is what is smoke-tested.
_WITHHELD = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "FAKE_LLM")
_TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0


@dataclass
class Run:
    job_type: JobType[Any, Any]
    provider: str
    started: float
    job_id: str | None = None
    status: str = "submitted"
    seconds: float | None = None
    tokens: int | None = None
    model: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "succeeded" and not self.detail


class Printer:
    """Prints lines with every key replaced, whatever the line came from."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = [key for key in keys if key]

    def __call__(self, line: str = "", *, err: bool = False) -> None:
        for key in self._keys:
            line = line.replace(key, "[redacted]")
        print(line, file=sys.stderr if err else sys.stdout, flush=True)


def main() -> int:
    keys = {provider: os.environ.get(name, "").strip() for provider, name in KEY_VARIABLES.items()}
    keys = {provider: key for provider, key in keys.items() if key}
    say = Printer(list(keys.values()))
    if not keys:
        say(
            "smoke: skipped - neither OPENAI_API_KEY nor GEMINI_API_KEY is set "
            "(set one or both to run every job type against the real providers)"
        )
        return 0
    timeout = float(os.environ.get("SMOKE_TIMEOUT_SECONDS", "600"))
    with tempfile.TemporaryDirectory(prefix="cv-ai-smoke-") as workdir:
        stack = LocalStack(Path(workdir) / "local-run.log")
        try:
            stack.start()
            say(f"smoke: local stack at {stack.api_url}; providers: {', '.join(_provider_targets(keys))}")
            runs = run_jobs(stack, keys, deadline=time.monotonic() + timeout)
        except StackFailed as error:
            say(f"smoke: FAILED - {error}", err=True)
            say(stack.log_tail(), err=True)
            return 1
        except KeyboardInterrupt:
            say("smoke: interrupted; stopping the local stack", err=True)
            return 130
        finally:
            stack.stop()
    print_table(runs, say)
    failed = [run for run in runs if not run.ok]
    if failed:
        say(f"smoke: FAILED - {len(failed)} of {len(runs)} jobs did not succeed")
        return 1
    say(f"smoke: OK - {len(runs)} of {len(runs)} jobs succeeded")
    return 0


def _provider_targets(keys: dict[str, str]) -> list[str]:
    defaults = {"openai": "api.openai.com", "gemini": "generativelanguage.googleapis.com"}
    return [
        f"{provider} ({os.environ.get(f'{provider.upper()}_BASE_URL') or defaults[provider]})"
        for provider in keys
    ]


class StackFailed(Exception):
    """The local stack did not start or stopped answering."""


class LocalStack:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.api_key = f"smoke-{secrets.token_hex(8)}"
        self.api_url = ""
        self._child: ChildStack | None = None

    def start(self) -> None:
        api_port, aws_port = free_port(), free_port()
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in _WITHHELD and not name.startswith(("AWS_", "POWERTOOLS_"))
        }
        env.update(
            {
                "LOCAL_API_PORT": str(api_port),
                "LOCAL_AWS_PORT": str(aws_port),
                "LOCAL_API_KEY": self.api_key,
                # No playground: the smoke run needs none, and 5173 may be a developer's.
                "LOCAL_PLAYGROUND_PORT": "off",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.api_url = f"http://127.0.0.1:{api_port}"
        self._child = ChildStack(env, self.log_path, self.api_url)
        try:
            self._child.start(STARTUP_TIMEOUT_SECONDS)
        except StackNotServing as error:
            # Its first line; main() prints the log's tail itself.
            raise StackFailed(str(error).splitlines()[0]) from None

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop(STOP_TIMEOUT_SECONDS)

    def log_tail(self, lines: int = 30) -> str:
        return self._child.tail(lines) if self._child is not None else "(the local stack wrote nothing)"


def run_jobs(stack: LocalStack, keys: dict[str, str], *, deadline: float) -> list[Run]:
    """Submit every job type once per provider, then poll them all until finished or `deadline`."""
    runs: list[Run] = []
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": stack.api_key}, timeout=30) as client:
        for job_type in JOB_TYPES:
            for provider, key in keys.items():
                runs.append(_submit(client, job_type, provider, key))
        delay = 0.2  # grows to 5 s: fine-grained for quick jobs, gentle for slow real ones
        while any(run.job_id and run.status not in _TERMINAL for run in runs):
            if time.monotonic() > deadline:
                for run in runs:
                    if run.job_id and run.status not in _TERMINAL:
                        run.detail = "timed out waiting"
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)
            for run in runs:
                if run.job_id and run.status not in _TERMINAL:
                    _poll(client, run)
    return runs


def _submit(client: httpx.Client, job_type: JobType[Any, Any], provider: str, key: str) -> Run:
    run = Run(job_type, provider, started=time.monotonic())
    try:
        response = client.post(
            f"/ai/jobs/{job_type.path}",
            json=example_request(job_type.path),
            headers={"X-User-Provider": provider, "X-User-Api-Key": key},
        )
    except httpx.HTTPError as error:
        raise StackFailed(f"the local gateway did not answer ({type(error).__name__})") from None
    if response.status_code != 202:
        run.status = f"refused {response.status_code}"
        run.detail = _error_code(response)
    else:
        run.job_id = str(response.json()["job_id"])
    return run


def _poll(client: httpx.Client, run: Run) -> None:
    try:
        response = client.get(f"/ai/jobs/{run.job_id}")
    except httpx.HTTPError as error:
        raise StackFailed(f"the local gateway stopped answering ({type(error).__name__})") from None
    if response.status_code != 200:
        run.status, run.detail = f"poll {response.status_code}", _error_code(response)
        return
    job = response.json()
    run.status = str(job["status"])
    if run.status not in _TERMINAL:
        return
    run.seconds = time.monotonic() - run.started
    usage = job.get("usage") or {}
    run.tokens = usage.get("total_tokens")
    run.model = str(job.get("model") or usage.get("model") or "")
    if run.status != "succeeded":
        run.detail = str((job.get("error") or {}).get("code") or "")
        return
    try:
        run.job_type.result_model.model_validate(job["result"])
    except ValidationError as error:
        run.detail = (
            f"result does not fit {run.job_type.result_model.__name__} ({error.error_count()} errors)"
        )


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def print_table(runs: list[Run], say: Printer) -> None:
    header = ("job type", "provider", "model", "status", "seconds", "tokens", "detail")
    rows = [
        (
            run.job_type.path,
            run.provider,
            run.model or "-",
            run.status,
            f"{run.seconds:.1f}" if run.seconds is not None else "-",
            str(run.tokens) if run.tokens is not None else "-",
            run.detail,
        )
        for run in runs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
