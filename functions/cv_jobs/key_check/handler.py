"""key-check Lambda: `POST /ai/keys/test` with the BYOK headers answers at once whether the key
works here (`check.py`). Wiring only. Its own function, not the api's: it carries httpx and calls
the providers, and the api's cold start and bundle stay free of both.

The key lives in memory for this one request: it is registered with the log redaction while it is
in use, logged only as its length, and never stored or returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cv_jobs.byok import API_KEY_HEADER, PROVIDER_HEADER, credential_from_headers
from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.errors import ApiError, ByokHeaderError, RouteNotFound
from cv_jobs.key_check.check import KeyCheck, check_key
from cv_jobs.model_check.lookup import OPENAI_DEFAULT_BASE_URL
from cv_jobs.observability import logger, metrics, secret_in_use
from cv_jobs.settings import KeyCheckSettings

PATH = "/ai/keys/test"
CORS_HEADERS = ["Content-Type", "X-API-Key", PROVIDER_HEADER, API_KEY_HEADER]

Checker = Callable[..., KeyCheck]
# Any context: Lambda passes its own object, local mode and tests their stand-in with the same attributes.
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def key_to_test(headers: Mapping[str, str] | None) -> tuple[Provider, ApiKey]:
    """The BYOK headers, by the api's rules; here both are required (there is no system key to test)."""
    sent = {name.lower(): value for name, value in (headers or {}).items() if value and value.strip()}
    if PROVIDER_HEADER.lower() not in sent and API_KEY_HEADER.lower() not in sent:
        raise ByokHeaderError(
            f"Send {PROVIDER_HEADER} and {API_KEY_HEADER}: the provider and the key to test."
        )
    credential = credential_from_headers(headers, system_path_enabled=False)
    assert credential.api_key is not None  # both headers were present: the rules return the user's key
    return credential.provider, credential.api_key


def build_app(settings: KeyCheckSettings, check: Checker = check_key) -> APIGatewayRestResolver:
    origins = settings.cors_allowed_origins
    cors = (
        CORSConfig(
            allow_origin=origins[0], extra_origins=list(origins[1:]), allow_headers=CORS_HEADERS, max_age=600
        )
        if origins
        else None
    )
    app = APIGatewayRestResolver(cors=cors)
    base_urls = {
        Provider.OPENAI: settings.openai_base_url or OPENAI_DEFAULT_BASE_URL,
        Provider.GEMINI: settings.gemini_base_url,
    }

    @app.post(PATH)
    def test_key() -> Response[dict[str, Any]]:
        provider, api_key = key_to_test(app.current_event.headers)
        models = [model for owner, model in settings.configured_models() if owner is provider]
        started = time.monotonic()
        with secret_in_use(api_key.reveal()):
            result = check(
                provider,
                api_key,
                models,
                base_url=base_urls[provider],
                timeout_seconds=settings.timeout_seconds,
            )
        body = result.body()
        logger.info(
            "key checked",
            extra={
                "provider": provider.value,
                "key_length": len(api_key),
                "valid": result.valid,
                "model_available": result.model_available,
                "code": body["code"],
                "models": body["models"],
                "elapsed_ms": round((time.monotonic() - started) * 1000),
            },
        )
        metrics.add_metric(name="KeyChecks", unit=MetricUnit.Count, value=1)
        if result.valid is False:
            metrics.add_metric(name="KeysRefused", unit=MetricUnit.Count, value=1)
        return _json(200, body)

    @app.exception_handler(ApiError)
    def refuse(error: ApiError) -> Response[dict[str, Any]]:
        logger.info("request refused", extra={"code": error.code, "status": error.status_code})
        return _json(error.status_code, error.body())

    @app.not_found
    def no_route(_: Exception) -> Response[dict[str, Any]]:
        return refuse(RouteNotFound("No such route.", detail=f"This function answers POST {PATH} only."))

    @app.exception_handler(Exception)
    def crash(error: Exception) -> Response[dict[str, Any]]:
        # The log line is redacted by the formatter; the client sees only our text.
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        body = {
            "error": {"code": "internal_error", "message": "Something went wrong on our side."},
            "detail": "The key was not checked. Try again later.",
        }
        return _json(500, body)

    return app


def _json(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    # About a secret: no cache on the way may keep it.
    return Response(
        status_code=status, content_type="application/json", body=body, headers={"Cache-Control": "no-store"}
    )


def make_handler(settings: Callable[[], KeyCheckSettings]) -> Handler:
    """A Lambda handler over `settings` (read on the first event). Local mode builds one with the
    settings the stack would give the function; Lambda's reads them from the environment."""
    app = cache(lambda: build_app(settings()))

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app().resolve(event, context)

    return handler


lambda_handler = make_handler(KeyCheckSettings.from_env)
