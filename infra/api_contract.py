"""What the stack's API promises browsers, shared by the stack (infra/constructs/api.py) and the
local gateway (local/gateway_settings.py), so the two cannot drift: the CORS rules and the body of a
route that does not exist. Plain values: importing this starts no CDK runtime."""

from __future__ import annotations

CORS_ALLOWED_HEADERS = (
    "Content-Type",
    "X-API-Key",
    "X-User-Provider",
    "X-User-Api-Key",
    "Authorization",
    "Idempotency-Key",
)
CORS_ALLOWED_METHODS = ("GET", "POST", "DELETE", "OPTIONS")
# How long a browser may reuse a preflight's answer.
CORS_MAX_AGE_SECONDS = 3600

# API Gateway answers a path or method it has no resource for with MISSING_AUTHENTICATION_TOKEN
# (403 "Missing Authentication Token"). No method here uses IAM auth, so that response only ever
# means "no such route": a 404 in the body the api function uses for its own unknown routes.
ROUTE_NOT_FOUND_MESSAGE = "No such route."
ROUTE_NOT_FOUND_DETAIL = (
    "The API has no such path, or no such method on it; GET /ai/openapi.json lists its routes."
)
ROUTE_NOT_FOUND_BODY = {
    "error": {"code": "route_not_found", "message": ROUTE_NOT_FOUND_MESSAGE},
    "detail": ROUTE_NOT_FOUND_DETAIL,
}
