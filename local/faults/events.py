"""Fault log lines: each injected AWS failure and each worker crash is written to stderr as one JSON
line (`{"local_fault": ..., "at": <epoch seconds>, "job_id" | "job_ids": ...}`), so the fault run can
tell afterwards which job was hit by what, and when (e.g. whether a crash came after a paid call)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

PREFIX = '{"local_fault"'
AWS_FAULT = "aws"
WORKER_CRASH = "worker_crash"
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def emit(kind: str, **fields: Any) -> None:
    """One line, written at once (several processes share the stream)."""
    line = json.dumps({"local_fault": kind, "at": round(time.time(), 3), "pid": os.getpid(), **fields})
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def job_id_in(body: Any) -> str | None:
    """The first job id (a UUID) in a serialized AWS request body: the DynamoDB key, the KMS
    encryption context or the SQS message body name the job they are about."""
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes):
        return None
    match = _UUID.search(body)
    return match.group().decode() if match else None


def read(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The fault events among a log's lines."""
    events = []
    for line in lines:
        if line.startswith(PREFIX):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash
    return events
