"""The REST proxy (v1) integration of the local gateway: the request body within API Gateway's
payload limit, the event the api (or key-check) function gets, and the function's proxy response
mapped back to HTTP as API Gateway maps it."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.gateway_settings import PAYLOAD_LIMIT_BYTES, STAGE
from local.http_server import QuietHandler
from local.lambda_context import ACCOUNT_ID
from local.routes import Route


def proxy_event(
    handler: QuietHandler,
    route: Route,
    query: str,
    raw_body: bytes,
    request_id: str,
    *,
    host: str,
    port: int,
) -> dict[str, Any]:
    """The event API Gateway's REST proxy integration sends the function for this request (the
    gateway at `host:port` fills in the API key it presented)."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in handler.headers.items():
        multi_headers.setdefault(name, []).append(value)
    source_ip = handler.client_address[0]
    multi_headers.setdefault("X-Forwarded-For", [source_ip])
    multi_headers.setdefault("X-Forwarded-Proto", ["http"])
    multi_headers.setdefault("X-Forwarded-Port", [str(port)])
    multi_headers.setdefault("X-Amzn-Trace-Id", [f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"])
    headers = {name: values[-1] for name, values in multi_headers.items()}
    multi_query = parse_qs(query, keep_blank_values=True)
    body, is_base64 = _event_body(raw_body)
    path = urlsplit(handler.path).path
    now = time.time()
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": handler.command,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": route.path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": route.resource,
            "httpMethod": handler.command,
            "extendedRequestId": request_id[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": handler.request_version,
            "stage": STAGE,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": headers.get("User-Agent"),
                "user": None,
                "apiKey": None,  # set by the gateway's _respond: the key this request presented
                "apiKeyId": None,
            },
            "domainName": f"{host}:{port}",
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def read_body(handler: QuietHandler) -> bytes | None:
    """The request body, or None when it is over API Gateway's limit (without reading it all)."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > PAYLOAD_LIMIT_BYTES:
                return None
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    if length > PAYLOAD_LIMIT_BYTES:
        return None
    return handler.rfile.read(length) if length > 0 else b""


def _event_body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def proxy_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Map the function's proxy response like API Gateway does (a malformed one is a 502)."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError("malformed Lambda proxy response")
    multi: dict[str, list[str]] = {
        name: [str(v) for v in values] for name, values in (result.get("multiValueHeaders") or {}).items()
    }
    for name, value in (result.get("headers") or {}).items():
        if name not in multi:
            multi[name] = [str(value)]
    if not any(name.lower() == "content-type" for name in multi):
        multi["Content-Type"] = ["application/json"]
    headers = [(name, value) for name, values in multi.items() for value in values]
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return result["statusCode"], headers, payload
