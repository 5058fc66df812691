"""The SSL contexts the provider clients connect with: built once per warm worker, not once per job.

Building one reads the whole CA bundle, about 20 ms of CPU on a core here and several times that at
512 MB; per job, it was the largest part of the worker's own overhead. An `ssl.SSLContext` may be
shared between threads and keeps nothing of one connection for the next (a client reuses a TLS
session only when handed it), so every job's client connects with the same context while it keeps
its own connections and cookies (`tests/unit/test_provider_connections.py`).

Each provider's context is built by its own HTTP library, so each keeps that library's trust
defaults: httpx (Gemini) trusts certifi's bundle, httpx2 (the openai SDK's) the system's.
"""

from __future__ import annotations

import ssl
from functools import cache


@cache
def gemini_ssl_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()


@cache
def openai_ssl_context() -> ssl.SSLContext:
    # Imported here: a Gemini-only worker never loads the openai SDK's HTTP stack.
    import httpx2

    return httpx2.create_ssl_context()
