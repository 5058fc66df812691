"""Lambda events as API Gateway (REST, proxy) and SQS deliver them, for calling handlers directly."""

from __future__ import annotations

import json
import uuid
from typing import Any

from local.lambda_context import new_context


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = {"Content-Type": "application/json", "X-API-Key": "test-api-key", **(headers or {})}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "test",
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/test{path}",
            "identity": {"sourceIp": "127.0.0.1", "apiKey": "test-api-key"},
        },
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }


def job_event(method: str, job_id: str) -> dict[str, Any]:
    return api_event(
        method,
        f"/ai/jobs/{job_id}",
        resource="/ai/jobs/{job_id}",
        path_parameters={"job_id": job_id},
    )


def api_context() -> Any:
    return new_context("cv-ai-jobs-api", memory_mb=512, timeout_seconds=10)


def worker_context(timeout_seconds: float = 120) -> Any:
    return new_context("cv-ai-jobs-worker", memory_mb=1024, timeout_seconds=timeout_seconds)
