"""Which AWS errors another try may cure (throttling, a service's internal error, the network) and a
retry loop that never outlives the invocation's deadline.

Everything else (a failed condition, access denied, a bad request) is an answer, not an accident:
it is raised at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from cv_jobs.deadline import Deadline

Result = TypeVar("Result")

# Throttling and internal-error codes of the services this code calls (DynamoDB, SQS, KMS, Secrets
# Manager); any 5xx counts too.
_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "InternalServiceError",
        "InternalServiceErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSInternalException",
        "DependencyTimeoutException",
        "KeyUnavailableException",
        "TransactionInProgressException",
    }
)
_NETWORK_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
    BotoConnectionError,
)


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception's class name (for log lines)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def is_transient(error: BaseException) -> bool:
    if isinstance(error, _NETWORK_ERRORS):
        return True
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_code(error) in _TRANSIENT_CODES or status >= 500
    return False


def retry_within(
    call: Callable[[], Result],
    deadline: Deadline,
    *,
    reserve_seconds: float = 0.0,
    attempt_seconds: float = 1.0,
    first_pause_seconds: float = 0.1,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """`call()` again after a transient error while the deadline leaves `attempt_seconds` (what one
    try may take) beyond `reserve_seconds` (what is kept for later calls); pauses double, with jitter."""
    pause = first_pause_seconds
    while True:
        try:
            return call()
        except (ClientError, BotoCoreError) as error:
            if not is_transient(error):
                raise
            spare = deadline.remaining() - reserve_seconds - attempt_seconds
            if spare <= 0:
                raise
            sleep(min(spare, pause * random.uniform(0.5, 1.0)))  # noqa: S311 - jitter, not secrecy
            pause *= 2
