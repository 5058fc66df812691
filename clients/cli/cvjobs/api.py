"""The API over HTTP: create, read and cancel jobs, test a key. Answers come back as (status, JSON);
the user's provider key goes only into the BYOK header of the calls that need it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_API_URL = "http://127.0.0.1:3000"  # the local stack (make run)
DEFAULT_API_KEY = "local-dev-key"  # its LOCAL_API_KEY


class Unreachable(Exception):
    """No HTTP answer: the API is down, or the URL is wrong."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # parsed JSON, or None

    @property
    def error_code(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error.get("code", "")) if isinstance(error, dict) else ""


@dataclass(frozen=True)
class Byok:
    provider: str
    key: str

    def __repr__(self) -> str:  # never the key, in a traceback or a debug print
        return f"Byok(provider={self.provider!r}, key=<{len(self.key)} characters>)"

    def headers(self) -> dict[str, str]:
        return {"X-User-Provider": self.provider, "X-User-Api-Key": self.key}


class Api:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"X-API-Key": api_key, "User-Agent": "cvjobs"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def create(self, job_path: str, body: dict[str, Any], byok: Byok | None) -> Answer:
        return self._call("POST", f"/ai/jobs/{job_path}", json=body, headers=byok.headers() if byok else {})

    def get(self, job_id: str) -> Answer:
        return self._call("GET", f"/ai/jobs/{job_id}")

    def cancel(self, job_id: str) -> Answer:
        return self._call("DELETE", f"/ai/jobs/{job_id}")

    def test_key(self, byok: Byok) -> Answer:
        return self._call("POST", "/ai/keys/test", headers=byok.headers())

    def _call(self, method: str, path: str, **options: Any) -> Answer:
        try:
            response = self._client.request(method, path, **options)
        except httpx.HTTPError as error:
            # The exception's text is not shown: it could carry request details.
            raise Unreachable(f"no answer from {self._client.base_url} ({type(error).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(response.status_code, body)
