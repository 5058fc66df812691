"""One short line a person can read for each log record of the local stack's functions.

The functions write Powertools JSON (what CloudWatch gets); the local console shows this line
instead: the time, which function, and what happened to which job. A record this module does not
know still gets a line (its message and a few short fields), never the whole record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

Record = Mapping[str, Any]

# Fields worth showing on a line for a record without a template of its own: short, never user text.
_SHORT_FIELDS = ("code", "status", "hint", "error_type", "model", "provider", "attempt", "step")
_MAX_LINE = 160
_COLORS = {"green": "32", "yellow": "33", "red": "31", "dim": "2"}
# The local stack's own lines: "[local] ...", "[local-gateway] ...", "[local-sqs] ...".
_LOCAL_PREFIX = re.compile(r"\[local(?:-(?P<source>[a-z-]+))?\] (?P<rest>.*)", re.S)


def _job(record: Record) -> str:
    job_id = str(record.get("job_id") or "")
    job = f"job {job_id[:8]}" if job_id else "job"
    return f"{job} {record['job_type']}" if record.get("job_type") else job


def _credential(record: Record) -> str:
    return {"user": "user's key", "system": "system key"}.get(str(record.get("credential")), "?")


def _tokens(record: Record) -> str:
    tokens = record.get("output_tokens")
    return f", {tokens} output tokens" if isinstance(tokens, int) else ""


def _hint(record: Record) -> str:
    hint = str(record.get("hint") or "")
    return f" - {hint[:60]}" if hint else ""


_TEMPLATES: dict[str, tuple[Callable[[Record], str], str | None]] = {
    "job queued": (lambda r: f"{_job(r)} queued ({r.get('provider')}, {_credential(r)})", None),
    "job started": (lambda r: f"{_job(r)} processing (attempt {r.get('attempt')}, {r.get('model')})", None),
    "step done": (lambda r: f"{_job(r)} step {r.get('step')} answered ({r.get('model')}{_tokens(r)})", "dim"),
    "step output restored from checkpoint": (
        lambda r: f"{_job(r)} step {r.get('step')} reused from its checkpoint",
        "dim",
    ),
    "job succeeded": (lambda r: f"{_job(r)} succeeded in {r.get('seconds')} s{_tokens(r)}", "green"),
    "job attempt failed; will retry": (
        lambda r: f"{_job(r)} attempt {r.get('attempt')} failed: {r.get('code')}, will retry{_hint(r)}",
        "yellow",
    ),
    "job failed": (
        lambda r: f"{_job(r)} FAILED: {r.get('code')} (attempt {r.get('attempt')}){_hint(r)}",
        "red",
    ),
    "job is held by another attempt": (lambda r: f"{_job(r)} is held by another attempt; back later", "dim"),
    "job needs no work": (lambda r: f"{_job(r)} needs no work ({r.get('status')})", "dim"),
    "request refused": (
        lambda r: (
            f"request refused: {r.get('status')} {r.get('code')}"
            + (f" ({_job(r)})" if r.get("job_id") else "")
        ),
        None,
    ),
}


def source_of(record: Record) -> str:
    """api, worker, sweeper, ...: the function, from its Powertools service name."""
    service = str(record.get("service") or record.get("function_name") or "local")
    return service.removeprefix("cv-ai-jobs-").removeprefix("local-") or service


def clock(record: Record) -> str:
    stamp = record.get("timestamp")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
        except ValueError:
            pass
    return datetime.now().strftime("%H:%M:%S")


def human_line(record: Record, *, color: bool = False) -> str:
    """`HH:MM:SS source  what happened` for one Powertools record."""
    message = str(record.get("message", ""))
    template = _TEMPLATES.get(message)
    if template is not None:
        text, tone = template[0](record), template[1]
    else:
        text, tone = _generic(record, message)
    line = f"{clock(record)} {source_of(record):<8} {text}"
    if len(line) > _MAX_LINE:
        line = line[: _MAX_LINE - 1] + "…"
    return paint(line, tone) if color and tone else line


def plain_line(text: str, *, color: bool = False) -> str | None:
    """A line the local stack's own parts print (`[local-gateway] ...`, `[local-sqs] ...`): the same
    shape as the functions' lines. The poller's routine batch lines are left out (the job lines say
    it all); other text (the banner, tracebacks) is shown as it is."""
    match = _LOCAL_PREFIX.match(text)
    if match is None:
        return text
    source, rest = match["source"] or "local", match["rest"]
    if source == "sqs" and rest.startswith("batch of ") and rest.endswith(" 0 failed"):
        return None
    line = f"{datetime.now().strftime('%H:%M:%S')} {source:<8} {rest.replace(' -> ', ' → ')}"
    tone = "yellow" if source == "sqs" or "failed" in rest else None
    return paint(line, tone) if color and tone else line


def paint(text: str, tone: str) -> str:
    return f"\033[{_COLORS[tone]}m{text}\033[0m"


def _generic(record: Record, message: str) -> tuple[str, str | None]:
    level = str(record.get("level", "INFO"))
    parts = [message]
    if record.get("job_id"):
        parts.insert(0, _job(record) + ":")
    details = [f"{name}={record[name]}" for name in _SHORT_FIELDS if _short(record.get(name))]
    if details:
        parts.append("(" + ", ".join(details) + ")")
    if record.get("exception"):
        parts.append("[traceback in the log file]")
    tone = {"WARNING": "yellow", "ERROR": "red", "CRITICAL": "red"}.get(level)
    prefix = f"{level} " if level not in {"INFO", "DEBUG"} else ""
    return prefix + " ".join(parts), tone


def _short(value: Any) -> bool:
    return value is not None and value != "" and len(str(value)) <= 60
