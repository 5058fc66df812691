"""The operator's OpenAI key, from Secrets Manager, cached for a few minutes per warm Lambda."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cv_jobs.aws.transient import error_code, is_transient
from cv_jobs.credentials import ApiKey


class SystemKeyMissing(Exception):
    """The secret does not exist, has no value, or may not be read: configuration, not chance."""


class SystemKeyUnavailable(Exception):
    """Secrets Manager throttled, failed inside or could not be reached: another try may work."""


class SystemKeyProvider:
    def __init__(
        self,
        client: Any,
        secret_id: str,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._secret_id = secret_id
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[ApiKey, float] | None = None

    def get(self) -> ApiKey:
        if self._cached and self._clock() < self._cached[1]:
            return self._cached[0]
        try:
            value = self._client.get_secret_value(SecretId=self._secret_id).get("SecretString")
        except (ClientError, BotoCoreError) as error:
            if is_transient(error):
                raise SystemKeyUnavailable(error_code(error)) from None
            raise SystemKeyMissing(error_code(error)) from None
        if not value or not value.strip():
            raise SystemKeyMissing("empty secret")
        key = ApiKey(value.strip())
        self._cached = (key, self._clock() + self._cache_seconds)
        return key
