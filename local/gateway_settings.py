"""What the local gateway mirrors of API Gateway as the stack sets it up: the stage, the payload
limit, the function settings (infra/constructs/api.py, key_check.py) and API Gateway's own error
responses (GatewayError: the stack's gateway responses, e.g. 404 route_not_found). The CORS rules
and the unknown route's body are the stack's own values (infra/api_contract.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.api_contract import ROUTE_NOT_FOUND_DETAIL, ROUTE_NOT_FOUND_MESSAGE

STAGE = "local"
PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024  # API Gateway's hard limit

# Mirrors of the stack's function settings (infra/constructs/api.py, which cannot be imported here
# without starting the CDK's jsii runtime); tests/e2e/test_e2e_gateway.py checks they agree. The CORS
# rules are the stack's own (infra/api_contract.py).
API_FUNCTION_TIMEOUT_SECONDS = 10
API_FUNCTION_MEMORY_MB = 512
# infra/constructs/key_check.py's.
KEY_CHECK_FUNCTION_TIMEOUT_SECONDS = 10
KEY_CHECK_FUNCTION_MEMORY_MB = 256


@dataclass(frozen=True)
class GatewayError:
    """One of API Gateway's own responses: its type, status and message, and the stack's body."""

    response_type: str
    status: int
    message: str
    error_type: str  # the x-amzn-ErrorType header
    # The stack's DEFAULT_4XX/5XX template puts the response type in `code` and the message in
    # `detail`; a response the stack customizes says its own.
    code: str | None = None
    detail: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "error": {"code": self.code or self.response_type, "message": self.message},
            "detail": self.detail or self.message,
        }


# An unknown path, or a method its resource lacks. API Gateway's default is 403 "Missing
# Authentication Token"; the stack answers 404 in the api's own body (infra/api_contract.py).
ROUTE_NOT_FOUND = GatewayError(
    "MISSING_AUTHENTICATION_TOKEN",
    404,
    ROUTE_NOT_FOUND_MESSAGE,
    "MissingAuthenticationTokenException",
    code="route_not_found",
    detail=ROUTE_NOT_FOUND_DETAIL,
)
INVALID_API_KEY = GatewayError("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException")
# The Lambda authorizer refused the token (or none was sent), where identity is on.
UNAUTHORIZED = GatewayError("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException")
REQUEST_TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLargeException")
# A function that raises or answers a malformed proxy response: 502 "Internal server error".
INTEGRATION_FAILURE = GatewayError(
    "INTEGRATION_FAILURE", 502, "Internal server error", "InternalServerErrorException"
)
