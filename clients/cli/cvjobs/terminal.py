"""What the person at the terminal sees: the exit codes, lines on stderr, JSON on stdout (or in a
file), and an argparse whose errors never repeat a key."""

from __future__ import annotations

import argparse
import json
import re
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn


class ExitCode(IntEnum):
    SUCCEEDED = 0  # the job succeeded; the key works
    USAGE = 2  # a wrong command line (argparse's code too)
    FAILED = 3  # the job failed (its error says why)
    CANCELLED = 4  # the job is cancelled
    NOT_FOUND = 5  # no such job (or it expired)
    REFUSED = 6  # the service refused the request (400, 403, 413, 422, 429)
    NOT_FINISHED = 7  # the job is queued or running (no --wait, or --timeout passed)
    KEY_NOT_WORKING = 8  # test-key: the key was refused, or a model is not available to it
    SERVICE_ERROR = 9  # no answer, or a 5xx
    INTERRUPTED = 130  # Ctrl-C while waiting (the job goes on)


EXIT_TABLE = "\n".join(f"  {code.value:>3}  {code.name.lower().replace('_', ' ')}" for code in ExitCode)


class UsageError(Exception):
    pass


# Shapes of provider keys (as cv_jobs.observability knows them): never echoed in a usage error.
_KEY_SHAPES = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}|AIza[A-Za-z0-9_\-]{6,}")


class Parser(argparse.ArgumentParser):
    """argparse, but its errors never repeat what looks like a key, and unknown arguments (a key
    typed as an option, perhaps) are not repeated at all."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message = "unrecognized arguments (not repeated here: a key is never an argument)"
        super().error(_KEY_SHAPES.sub("[a key]", message))


def say(text: str) -> None:
    print(f"cvjobs: {text}", file=sys.stderr, flush=True)


def write_json(document: Any, out: str | None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
