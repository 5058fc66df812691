"""The local stack's console: one short human line per event, the full JSON lines in a log file.

In the cloud, whatever a function prints goes to CloudWatch Logs. Here every process of the local
stack (the api in this process, the worker and sweeper processes it starts, the emulated AWS)
writes to the same standard output and error, which this router takes over at the file-descriptor
level, so child processes need nothing of their own. Each line it reads:

- a Powertools log record: written to the log file, and shown as one line (console_lines.py);
- an EMF metric document or other JSON: written to the log file only;
- anything else (the banner, the gateway's request lines, tracebacks): shown as it is (the poller's
  routine batch lines are left out), and written to the file wrapped as `{"local": "<line>"}` so the
  file stays JSON lines.

`LOCAL_LOG=json` turns the router off: the console shows the raw JSON lines, as CloudWatch has them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

from local.console_lines import human_line, plain_line

DEFAULT_LOG_FILE = Path(__file__).resolve().parent.parent / ".local-state" / "local-run.jsonl"
# A bigger pipe makes it unlikely that a long line from one process is split by another's write
# (Linux keeps a single write whole while the pipe has room for it).
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def log_mode(environ: dict[str, str] | None = None) -> str:
    """`human` (default) or `json`, from LOCAL_LOG."""
    value = (environ if environ is not None else os.environ).get("LOCAL_LOG", "human").strip().lower()
    if value not in {"human", "json"}:
        raise ValueError(f"LOCAL_LOG must be human or json, not {value!r}")
    return value


def log_file_path(environ: dict[str, str] | None = None) -> Path:
    value = (environ if environ is not None else os.environ).get("LOCAL_LOG_FILE", "").strip()
    return Path(value) if value else DEFAULT_LOG_FILE


class ConsoleRouter:
    """Owns file descriptors 1 and 2 between start() and stop()."""

    def __init__(self, log_file: Path, *, color: bool | None = None) -> None:
        self.log_file = log_file
        self._color = color
        self._saved: dict[int, int] = {}
        self._console: IO[str] | None = None
        self._file: IO[str] | None = None
        self._reader: threading.Thread | None = None
        self._read_fd = -1

    def start(self) -> ConsoleRouter:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        # One run's lines: a new run starts a new file.
        self._file = self.log_file.open("w", encoding="utf-8", buffering=1)
        sys.stdout.flush()
        sys.stderr.flush()
        console_fd = os.dup(1)
        self._console = os.fdopen(console_fd, "w", encoding="utf-8", errors="replace", buffering=1)
        if self._color is None:
            self._color = self._console.isatty() and "NO_COLOR" not in os.environ
        read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError):  # not Linux, or above the system's limit: default size
            fcntl.fcntl(write_fd, _F_SETPIPE_SZ, _PIPE_BYTES)
        for fd in (1, 2):
            self._saved[fd] = os.dup(fd)
            os.dup2(write_fd, fd)
        os.close(write_fd)
        self._read_fd = read_fd
        self._reader = threading.Thread(target=self._read, name="console-router", daemon=True)
        self._reader.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Give fds 1 and 2 back and show what is still in the pipe. Child processes must have exited:
        the reader ends when the last writer closes the pipe."""
        if self._reader is None:
            return
        with contextlib.suppress(ValueError, OSError):
            sys.stdout.flush()
            sys.stderr.flush()
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        self._saved.clear()
        self._reader.join(timeout)
        self._reader = None
        for stream in (self._file, self._console):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _read(self) -> None:
        pending = b""
        with os.fdopen(self._read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self.route(line.decode("utf-8", errors="replace"))
        if pending:
            self.route(pending.decode("utf-8", errors="replace"))

    def route(self, line: str) -> None:
        """Where one line goes (see the module docstring)."""
        if not line.strip():
            self._show("")
            return
        record = _json_object(line)
        if record is None:
            self._write({"local": line})
            shown = plain_line(line, color=bool(self._color))
            if shown is not None:
                self._show(shown)
            return
        self._write_raw(line)
        if "level" in record and "message" in record and "_aws" not in record:
            self._show(human_line(record, color=bool(self._color)))

    def _show(self, text: str) -> None:
        if self._console is not None:
            with contextlib.suppress(OSError, ValueError):
                self._console.write(text + "\n")

    def _write(self, document: dict[str, Any]) -> None:
        self._write_raw(json.dumps(document, ensure_ascii=False))

    def _write_raw(self, line: str) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError, ValueError):
                self._file.write(line + "\n")


def _json_object(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
