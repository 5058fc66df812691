"""A local stand-in for the REST API in API Gateway, in front of the real api handler.

It does what API Gateway does before and after the api Lambda (and the key-check Lambda behind
`POST /ai/keys/test`): route matching (the resources the
stack creates from the job-type registry, local/routes.py), the `X-API-Key` check, CORS preflight,
the 10 MB payload limit, gateway error responses with CORS headers (an unknown route is the stack's
404 route_not_found), and the REST proxy (v1) event and response mapping. Everything past the
event is the very same handler code that runs in Lambda.

This module owns the HTTP server and each request's way through it (route, API key, authorizer,
preflight, error response, the function call); local/gateway_settings.py holds the stack's settings
it mirrors and API Gateway's own error responses, local/proxy_event.py the payload limit and the
proxy event and response.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from infra.api_contract import CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_MAX_AGE_SECONDS
from local.gateway_settings import (
    API_FUNCTION_MEMORY_MB,
    API_FUNCTION_TIMEOUT_SECONDS,
    INTEGRATION_FAILURE,
    INVALID_API_KEY,
    KEY_CHECK_FUNCTION_MEMORY_MB,
    KEY_CHECK_FUNCTION_TIMEOUT_SECONDS,
    REQUEST_TOO_LARGE,
    ROUTE_NOT_FOUND,
    STAGE,
    UNAUTHORIZED,
    GatewayError,
)
from local.http_server import BackgroundHTTPServer, QuietHandler
from local.lambda_context import ACCOUNT_ID, LambdaContext, new_context
from local.proxy_event import proxy_event, proxy_response, read_body
from local.routes import API_FUNCTION, KEY_CHECK_FUNCTION, OPENAPI, Routes

ApiHandler = Callable[[dict[str, Any], LambdaContext], Any]


@dataclass(frozen=True)
class _Function:
    """One function behind the gateway: one warm instance (Lambda never runs two events in one
    process at once, and Powertools' resolver keeps the current event on the app object)."""

    handler: ApiHandler
    name: str
    memory_mb: int
    timeout_seconds: int
    lock: threading.Lock


class _GatewayHandler(QuietHandler):
    server_owner: LocalGateway

    def _handle(self) -> None:
        self.server_owner._serve(self)

    def __getattr__(self, name: str) -> Any:
        # http.server dispatches a request to do_<METHOD> and answers 501 with an HTML page when
        # there is none. Every method (TRACE, QUERY, WebDAV's, made-up ones) goes to the gateway
        # instead, which answers one no resource has as API Gateway does: the stack's 404 body.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)


class LocalGateway(BackgroundHTTPServer):
    handler_class = _GatewayHandler

    def __init__(
        self,
        *,
        api_handler: ApiHandler,
        key_check_handler: ApiHandler,
        api_key: str,
        cors_origins: Iterable[str],
        job_paths: Iterable[str],
        api_keys: Iterable[str] = (),
        authorizer_handler: ApiHandler | None = None,
        host: str = "127.0.0.1",
        port: int = 3000,
        function_name: str = "cv-ai-jobs-local-api",
        log: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(host, port)
        self._api_key = api_key
        # Every accepted key (LOCAL_API_KEYS), each a separate client with its own key id, as the
        # stack's API keys are; the id, never the key, owns the jobs it creates.
        self._key_ids = {key: local_api_key_id(key) for key in (api_key, *api_keys) if key}
        # The stack's TOKEN authorizer on the job routes, where identity is on (cdk.json identity).
        self._authorizer = authorizer_handler
        self._cors_origins = tuple(cors_origins)
        if not self._cors_origins:
            raise ValueError("at least one CORS origin is needed (the stack's config requires one)")
        self._routes = Routes(job_paths)
        self._functions = {
            API_FUNCTION: _Function(
                api_handler,
                function_name,
                API_FUNCTION_MEMORY_MB,
                API_FUNCTION_TIMEOUT_SECONDS,
                threading.Lock(),
            ),
            KEY_CHECK_FUNCTION: _Function(
                key_check_handler,
                "cv-ai-jobs-local-key-check",
                KEY_CHECK_FUNCTION_MEMORY_MB,
                KEY_CHECK_FUNCTION_TIMEOUT_SECONDS,
                threading.Lock(),
            ),
        }
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))

    # --- request handling -----------------------------------------------------------------------

    def _serve(self, handler: _GatewayHandler) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        status = self._respond(handler, request_id)
        elapsed_ms = (time.monotonic() - started) * 1000
        # Path only: a query string is user input that could carry anything.
        path = urlsplit(handler.path).path
        self._log(f"[local-gateway] {handler.command} {path} -> {status} ({elapsed_ms:.0f} ms)")

    def _respond(self, handler: _GatewayHandler, request_id: str) -> int:
        method = handler.command
        parts = urlsplit(handler.path)
        origin = handler.headers.get("Origin")

        raw_body = read_body(handler)
        if raw_body is None:
            handler.close_connection = True
            return self._gateway_error(handler, REQUEST_TOO_LARGE, request_id)

        if method == "OPTIONS" and self._routes.is_resource(parts.path):
            return self._preflight(handler, origin, request_id)
        route = self._routes.match(parts.path)
        if route is None or method not in route.methods:
            return self._gateway_error(handler, ROUTE_NOT_FOUND, request_id)
        presented = handler.headers.get("X-API-Key") or ""  # header lookup is case-insensitive
        if presented not in self._key_ids:
            return self._gateway_error(handler, INVALID_API_KEY, request_id)

        event = proxy_event(
            handler, route, parts.query, raw_body, request_id, host=self._host, port=self.port
        )
        event["requestContext"]["identity"].update(apiKey=presented, apiKeyId=self._key_ids[presented])
        if self._authorizer is not None and route.function == API_FUNCTION and route.resource != OPENAPI:
            principal = self._authorize(handler, method, parts.path)
            if principal is None:
                return self._gateway_error(handler, UNAUTHORIZED, request_id)
            event["requestContext"]["authorizer"] = principal
        function = self._functions[route.function]
        context = new_context(
            function.name, memory_mb=function.memory_mb, timeout_seconds=function.timeout_seconds
        )
        try:
            with function.lock:
                result = function.handler(event, context)
            status, headers, body = proxy_response(result)
        except Exception as error:  # noqa: BLE001 - any function error is API Gateway's 502
            self._log(f"[local-gateway] api function failed: {type(error).__name__}")
            return self._gateway_error(handler, INTEGRATION_FAILURE, request_id)
        headers += [
            ("x-amzn-RequestId", request_id),
            ("x-amz-apigw-id", request_id[:16]),
        ]
        handler.send(status, body, headers)
        return status

    def _authorize(self, handler: _GatewayHandler, method: str, path: str) -> dict[str, Any] | None:
        """Run the authorizer like API Gateway: no token, an exception or a policy that is not an
        Allow all mean 401; otherwise its principal and context for the api's event."""
        token = handler.headers.get("Authorization")
        if not token or self._authorizer is None:
            return None
        event = {
            "type": "TOKEN",
            "authorizationToken": token,
            "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:local/{STAGE}/{method}{path}",
        }
        context = new_context("cv-ai-jobs-local-authorizer", memory_mb=256, timeout_seconds=10)
        try:
            result = self._authorizer(event, context)
            [statement] = result["policyDocument"]["Statement"]
        except Exception:  # noqa: BLE001 - API Gateway answers 401 whatever the authorizer raised
            return None
        if statement.get("Effect") != "Allow":
            return None
        return {"principalId": result["principalId"], **(result.get("context") or {})}

    def _preflight(self, handler: _GatewayHandler, origin: str | None, request_id: str) -> int:
        # The stack's preflight is CDK's mock integration (no API key): it answers with the first
        # allowed origin, or with the request's Origin when that is one of the others.
        allowed = origin if origin in self._cors_origins else self._cors_origins[0]
        headers = [
            ("Access-Control-Allow-Headers", ",".join(CORS_ALLOWED_HEADERS)),
            ("Access-Control-Allow-Origin", allowed),
            ("Access-Control-Allow-Methods", ",".join(CORS_ALLOWED_METHODS)),
            ("Access-Control-Max-Age", str(CORS_MAX_AGE_SECONDS)),
            ("x-amzn-RequestId", request_id),
        ]
        if len(self._cors_origins) > 1:
            headers.append(("Vary", "Origin"))
        handler.send(204, b"", headers)
        return 204

    def _gateway_error(self, handler: _GatewayHandler, error: GatewayError, request_id: str) -> int:
        # The stack's gateway responses: the service's error shape, and static CORS headers (one
        # allowed origin: that one; several: '*'), so a browser sees the real error.
        origins = self._cors_origins
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error.error_type),
            ("Access-Control-Allow-Origin", origins[0] if len(origins) == 1 else "*"),
            ("Access-Control-Allow-Headers", ",".join(CORS_ALLOWED_HEADERS)),
        ]
        handler.send(error.status, json.dumps(error.body()).encode(), headers)
        return error.status


def local_api_key_id(key: str) -> str:
    """A stable id for a local API key that does not reveal it (API Gateway's ids are random)."""
    return "local-" + hashlib.sha256(key.encode()).hexdigest()[:10]
