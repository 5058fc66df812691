"""The OpenAPI header parameters (Idempotency-Key, the BYOK headers) and the API key security
scheme. Their limits (key lengths, providers) are read from the code that enforces them, so the
document cannot drift from it."""

from __future__ import annotations

from typing import Any

from cv_jobs.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from cv_jobs.api.idempotency import MAX_KEY_LENGTH as MAX_IDEMPOTENCY_KEY_LENGTH
from cv_jobs.byok import API_KEY_HEADER, MAX_KEY_LENGTH, MIN_KEY_LENGTH, PROVIDER_HEADER
from cv_jobs.credentials import Provider

GATEWAY_API_KEY_HEADER = "X-API-Key"


def idempotency_parameter() -> dict[str, Any]:
    return {
        "IdempotencyKey": {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Makes a retried POST safe: the same key with the same request, from the same API key, "
                f"within 24 hours answers 202 with the same job ({REPLAYED_HEADER}: true), queuing "
                "nothing; "
                "the same key with another request is a 409. A new UUID per new request will do."
            ),
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
                "pattern": "^[!-~]+$",
            },
        }
    }


def byok_parameters() -> dict[str, Any]:
    rule = f"Send {PROVIDER_HEADER} and {API_KEY_HEADER} together, or neither (the service's own key)."
    return {
        "UserProvider": {
            "name": PROVIDER_HEADER,
            "in": "header",
            "required": False,
            "description": f"Bring your own key: the provider (trimmed, case-insensitive). {rule}",
            "schema": {"type": "string", "enum": [p.value for p in Provider]},
        },
        "UserApiKey": {
            "name": API_KEY_HEADER,
            "in": "header",
            "required": False,
            "description": (
                f"Bring your own key: the provider API key ({MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} visible "
                f"ASCII characters). Never stored or returned. {rule}"
            ),
            "schema": {
                "type": "string",
                "minLength": MIN_KEY_LENGTH,
                "maxLength": MAX_KEY_LENGTH,
                "pattern": "^[!-~]+$",
            },
        },
    }


def security_schemes() -> dict[str, Any]:
    return {
        "ApiKey": {
            "type": "apiKey",
            "in": "header",
            "name": GATEWAY_API_KEY_HEADER,
            "description": "The environment's API key, checked by API Gateway on every method.",
        }
    }
