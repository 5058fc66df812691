"""Rules on environment settings that need more than a range (infra/config.py applies them): the job
TTL against the sweeper's bound on a job's life, and CORS origins in the form browsers send them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cv_jobs.sweeper.rules import StaleRules

# After the last moment a job can end, how long its record must stay readable: a client polling with
# backoff, or coming back later, still finds the outcome rather than a 404.
READ_WINDOW_SECONDS = 3600

# An Origin header as browsers serialize it: lower-case scheme and host, a port only when not the default.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ORIGIN = re.compile(
    rf"(?P<scheme>https?)://(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[1-9][0-9]{{0,4}}))?"
)
_DEFAULT_PORTS = {"https": 443, "http": 80}
# Plain http only for the developer's own machine (local mode, a dev server).
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


@dataclass(frozen=True)
class JobBound:
    """From creation, the longest any job stays open: the sweeper's own bound (StaleRules, in
    functions/cv_jobs/sweeper/rules.py) with the values the stack gives the sweeper, and its
    schedule's interval."""

    rules: StaleRules
    sweep_interval_seconds: float

    @property
    def seconds(self) -> float:
        return self.rules.bound_seconds(self.sweep_interval_seconds)

    def formula(self) -> str:
        rules = self.rules
        return (
            "maxReceiveCount * visibility timeout + workerTimeoutSeconds + lease grace + stale margin "
            f"+ sweep interval = {rules.max_receive_count} * {rules.visibility_seconds:g} "
            f"+ {rules.worker_timeout_seconds:g} + {rules.lease_grace_seconds:g} + {rules.margin_seconds:g} "
            f"+ {self.sweep_interval_seconds:g} s"
        )


def check_ttl_outlasts(ttl_hours: int, bound: JobBound) -> None:
    """Refuse a TTL that a job may outlive, or outlast by less than READ_WINDOW_SECONDS: past its TTL
    a record is gone (and its sealed key expired), so the job would end by TTL, unread."""
    needed = bound.seconds + READ_WINDOW_SECONDS
    if ttl_hours * 3600 < needed:
        raise ValueError(
            f"jobTtlHours {ttl_hours}: a job may stay open up to {_duration(bound.seconds)} "
            f"(the sweeper's bound with these settings: {bound.formula()}), and its record must outlive "
            f"that by {_duration(READ_WINDOW_SECONDS)} for clients to read the outcome; set jobTtlHours "
            f"to at least {math.ceil(needed / 3600)}"
        )


def check_cors_origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    """Each origin exactly as a browser's Origin header carries it (browsers and API Gateway compare
    it as a string): `https://host[:port]`, `http://` only for the local machine, never `*`, once."""
    seen: set[str] = set()
    for origin in origins:
        _check_origin(origin)
        if origin in seen:
            raise ValueError(f"corsAllowedOrigins: {origin!r} is listed twice")
        seen.add(origin)
    return origins


def _check_origin(origin: str) -> None:
    if origin.strip() == "*":
        raise ValueError(
            "corsAllowedOrigins: '*' would let every site call the API from a browser; "
            "list each frontend's origin instead"
        )
    match = _ORIGIN.fullmatch(origin)
    if match is None:
        lowered = _ORIGIN.fullmatch(origin.lower())
        if lowered is not None:
            raise ValueError(
                f"corsAllowedOrigins: {origin!r}: browsers send the scheme and host in lower case, "
                f"so write {origin.lower()!r}"
            )
        raise ValueError(
            f"corsAllowedOrigins: {origin!r} is not an origin as browsers send it: "
            f"scheme://host[:port] with no path, query, fragment or trailing slash{_suggestion(origin)}"
        )
    scheme, host, port = match["scheme"], match["host"], match["port"]
    if port is not None and int(port) > 65535:
        raise ValueError(f"corsAllowedOrigins: {origin!r} is not an origin: port {port} is above 65535")
    if port is not None and int(port) == _DEFAULT_PORTS[scheme]:
        raise ValueError(
            f"corsAllowedOrigins: {origin!r} names the default port, which browsers leave out of "
            f"the Origin header: write '{scheme}://{host}'"
        )
    if scheme == "http" and host not in _LOCAL_HOSTS:
        raise ValueError(
            f"corsAllowedOrigins: {origin!r} must use https (http only for "
            f"{' and '.join(sorted(_LOCAL_HOSTS))})"
        )


def _suggestion(origin: str) -> str:
    """The origin the setting probably meant, when a URL with a path or a bare host was given."""
    parts = urlsplit(origin.strip())
    if parts.scheme in _DEFAULT_PORTS and parts.netloc and "@" not in parts.netloc:
        candidate = f"{parts.scheme}://{parts.netloc}".lower()
    elif not parts.scheme and origin.strip() and "/" not in origin:
        candidate = f"https://{origin.strip()}".lower()
    else:
        return ""
    return f" (e.g. {candidate!r})" if _ORIGIN.fullmatch(candidate) and candidate != origin else ""


def _duration(seconds: float) -> str:
    """`seconds` in hours and minutes, rounded up to the minute: '58 min', '1 h 10 min', '2 h'."""
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
