"""api Lambda: API Gateway REST proxy events in, JSON out. Wiring only; logic is in service.py."""

from __future__ import annotations

# First of all: no garbage collection until the first request is served (cold_start.py).
from cv_jobs import cold_start

# isort: split
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cv_jobs.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER, IdempotentSubmissions
from cv_jobs.api.service import JobService
from cv_jobs.api.validation import body_text
from cv_jobs.aws import clients
from cv_jobs.aws.idempotency_records import IdempotencyRecords
from cv_jobs.aws.jobs_queue import JobsQueue
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.key_sealer import KeySealer
from cv_jobs.aws.system_budget import BudgetSettings, SystemBudget
from cv_jobs.byok import API_KEY_HEADER, PROVIDER_HEADER
from cv_jobs.deadline import Deadline
from cv_jobs.error_summary import error_summary
from cv_jobs.errors import ApiError, RouteNotFound
from cv_jobs.job_types import BY_PATH, PATHS
from cv_jobs.log_keys import logged_request
from cv_jobs.observability import logger, metrics
from cv_jobs.ownership import Owner
from cv_jobs.settings import ApiSettings

# Authorization: the end user's token where identity is on (cdk.json identity).
CORS_HEADERS = [
    "Content-Type",
    "X-API-Key",
    PROVIDER_HEADER,
    API_KEY_HEADER,
    "Authorization",
    IDEMPOTENCY_HEADER,
]


def build_service(settings: ApiSettings) -> JobService:
    # Short timeouts, no SDK retries: the service retries within the invocation's time.
    table = clients.table(settings.jobs_table_name, clients.API_CONFIG)
    store = JobsStore(table, settings.job_ttl_seconds)
    return JobService(
        settings=settings,
        store=store,
        # The keys' records live beside the jobs, for as long as a job does.
        idempotency=IdempotentSubmissions(IdempotencyRecords(table, settings.job_ttl_seconds), store),
        queue=JobsQueue(clients.client("sqs", clients.API_CONFIG), settings.jobs_queue_url),
        # A seal never outlives its job.
        sealer=KeySealer(
            clients.client("kms", clients.API_CONFIG),
            settings.byok_key_arn,
            lifetime_seconds=settings.job_ttl_seconds,
        ),
        budget=_system_budget(),
    )


def _system_budget() -> SystemBudget | None:
    # Like every api call: short timeouts, no SDK retries (the service retries within the deadline).
    return SystemBudget.from_settings(
        BudgetSettings.from_env(), clients.client("dynamodb", clients.API_CONFIG)
    )


def build_app(service: JobService, cors_origins: tuple[str, ...]) -> APIGatewayRestResolver:
    cors = (
        CORSConfig(
            allow_origin=cors_origins[0],
            extra_origins=list(cors_origins[1:]),
            allow_headers=CORS_HEADERS,
            # So a browser's retry can tell it got the first try's job back.
            expose_headers=[REPLAYED_HEADER],
            max_age=600,
        )
        if cors_origins
        else None
    )
    app = APIGatewayRestResolver(cors=cors)

    def register_create(path: str) -> None:
        @app.post(f"/ai/jobs/{path}")
        def create_job() -> Response[dict[str, Any]]:
            # Imported on its route's first request: a cold start pays for this job type only.
            job_type = BY_PATH[path]
            event = app.current_event
            text = body_text(event.body, event.is_base64_encoded)
            # What is left of the invocation, less time to answer: every AWS call is budgeted from it.
            deadline = Deadline.in_seconds(app.lambda_context.get_remaining_time_in_millis() / 1000 - 0.5)
            accepted = service.create(
                job_type, text, event.headers, Owner.from_event(event.raw_event), deadline
            )
            # An idempotent retry answers like its first try did: 202, the same job (docs/api.md).
            response = _json(202, accepted.body)
            if accepted.replayed:
                response.headers[REPLAYED_HEADER] = "true"
            return response

    for path in PATHS:
        register_create(path)

    @app.get("/ai/jobs/<job_id>")
    def get_job(job_id: str) -> Response[dict[str, Any]]:
        return _json(200, service.get(job_id, Owner.from_event(app.current_event.raw_event)))

    @app.delete("/ai/jobs/<job_id>")
    def cancel_job(job_id: str) -> Response[dict[str, Any]]:
        return _json(200, service.cancel(job_id, Owner.from_event(app.current_event.raw_event)))

    @app.get("/ai/openapi.json")
    def openapi() -> Response[str]:
        return Response(status_code=200, content_type="application/json", body=openapi_text())

    @app.exception_handler(ApiError)
    def refuse(error: ApiError) -> Response[dict[str, Any]]:
        logger.info("request refused", extra={"code": error.code, "status": error.status_code})
        response = _json(error.status_code, error.body())
        response.headers.update(error.headers())
        return response

    @app.not_found
    def no_route(_: Exception) -> Response[dict[str, Any]]:
        return refuse(RouteNotFound("No such route.", detail="See the API's job paths."))

    @app.exception_handler(Exception)
    def crash(error: Exception) -> Response[dict[str, Any]]:
        # Never the error's text (it may quote the request's CV); the client sees only our text.
        logger.error("unhandled error", extra=error_summary(error))
        body = {
            "error": {"code": "internal_error", "message": "Something went wrong on our side."},
            "detail": "The request was not processed. Try again later.",
        }
        return _json(500, body)

    return app


def _json(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type="application/json", body=body)


@cache
def openapi_text() -> str:
    """The OpenAPI document, built on its first request: cold starts and other routes never pay
    for importing the generator or deriving the schemas."""
    from cv_jobs.api.openapi import openapi_json

    return openapi_json()


@cache
def _app() -> APIGatewayRestResolver:
    settings = ApiSettings.from_env()
    return build_app(build_service(settings), settings.cors_allowed_origins)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@logged_request
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return _app().resolve(event, context)
    finally:
        cold_start.first_invocation_served()
