"""Before the local stack starts anything: is each port it must have free? A busy one stops `make run`
with one line naming the port, what it is for and the variable that moves it."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    number: int
    variable: str  # the environment variable that moves it
    purpose: str


def busy_port(host: str, ports: Iterable[Port]) -> str | None:
    """The line to print for the first port something else holds, or None when all are free."""
    for port in ports:
        if port.number and not _free(host, port.number):
            example = f"{port.variable}={_suggestion(host, port.number)} make run"
            return (
                f"port {port.number} ({port.purpose}) is in use: stop what holds it, or set "
                f"{port.variable} to a free port (for example {example})"
            )
    return None


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers bind: SO_REUSEADDR ignores sockets in TIME_WAIT, not a live listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _suggestion(host: str, taken: int) -> int:
    for candidate in range(taken + 1, min(taken + 50, 65535)):
        if _free(host, candidate):
            return candidate
    return taken + 1
