"""Idempotent submission: the `Idempotency-Key` header of a POST.

The key picks the job's id: a UUID (v5) derived from the client (API key id, and the end user where
identity is on) and the key. A retried POST therefore names the very record its first attempt
wrote, and the record's conditional put (`attribute_not_exists`) lets exactly one of any number of
concurrent duplicates create it. The record keeps a fingerprint of the request (job type, provider,
credential source and the validated body, never the key), so a retry is told apart from a different
request under the same key (409). The window is the record's lifetime: the job TTL, 24 h.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from cv_jobs.errors import InvalidIdempotencyKey

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Fixed for ever: changing it would make every retry inside the window a new job.
_NAMESPACE = uuid.UUID("6f1c2b7e-0d4a-5c8e-9b3f-2a7d1e4c9f60")


def idempotency_key(headers: Mapping[str, str] | None) -> str | None:
    """The header's value, or None when absent. Visible ASCII, 1 to 255 characters (a UUID is usual)."""
    value = next(
        (value for name, value in (headers or {}).items() if name.lower() == IDEMPOTENCY_HEADER.lower()),
        None,
    )
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all("!" <= char <= "~" for char in value):
        raise InvalidIdempotencyKey(
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID will do).",
        )
    return value


def job_id_for(client: str, key: str) -> str:
    """The job id a key stands for, for one client (so two clients' keys never meet)."""
    return str(uuid.uuid5(_NAMESPACE, f"{client}\n{key}"))


def request_fingerprint(job_type: str, provider: str, credential: str, request: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {"job_type": job_type, "provider": provider, "credential": credential, "request": request},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
