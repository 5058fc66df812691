"""The HTTP side: the api Lambda behind a REST API with an API key, usage plan and CORS."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# The job-type registry is plain Pydantic (no Powertools, boto3 or SDKs), so the CDK app can import it
# from the Lambda code (app.py puts functions/ on sys.path; tests/infra/test_app.py checks what it
# loads) and the routes cannot drift from the types the api function serves.
from cv_jobs.job_types import JOB_TYPES
from infra.api_contract import (
    CORS_ALLOWED_HEADERS,
    CORS_ALLOWED_METHODS,
    CORS_MAX_AGE_SECONDS,
    ROUTE_NOT_FOUND_BODY,
)
from infra.bundling import API
from infra.config import EnvironmentConfig
from infra.constructs.byok_key import ByokKey
from infra.constructs.jobs_table import grant_item_actions
from infra.constructs.log_group import retained_log_group
from infra.constructs.python_function import PythonFunction
from infra.constructs.system_budget_table import SystemBudgetTable
from infra.nag import acknowledge

HANDLER = "cv_jobs.api.handler.lambda_handler"
SERVICE_NAME = "cv-ai-jobs-api"

# POST /ai/jobs/<path> for each registered job type.
JOB_PATHS: tuple[str, ...] = tuple(job_type.path for job_type in JOB_TYPES)
# GET /ai/<this>: the OpenAPI document, served by the api function like every other route.
OPENAPI_PATH = "openapi.json"
# POST /ai/keys/test: the key check, served by its own function (infra/constructs/key_check.py).
KEY_TEST_PATH = "/ai/keys/test"
# Its stage throttle is a fifth of the API's (at least 1 request/s, burst 2): each call makes the
# service call a provider, and a key check is something a user does once, not a loop; it also keeps
# the endpoint from serving as a fast oracle for stolen provider keys.
KEY_TEST_THROTTLE_SHARE = 5

# API Gateway's own errors (missing/invalid API key, throttling, quota, 10 MB body limit, Lambda
# failures) in the service's error shape. `code` is API Gateway's response type (THROTTLED,
# QUOTA_EXCEEDED, ...); messageString is already a quoted JSON string.
GATEWAY_ERROR_TEMPLATE = (
    '{"error": {"code": "$context.error.responseType", "message": $context.error.messageString}, '
    '"detail": $context.error.messageString}'
)
# One JSON line per request. Never headers or bodies: X-User-Api-Key and CV text must not be logged.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "apiKeyId": "$context.identity.apiKeyId",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "errorType": "$context.error.responseType",
        "errorMessage": "$context.error.message",
    }
)


class JobsApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        table: dynamodb.ITable,
        queue: sqs.IQueue,
        byok_key: ByokKey,
        key_check_function: lambda_.IFunction,
        budget_table: SystemBudgetTable | None = None,
        authorizer: apigw.IAuthorizer | None = None,
        job_paths: Sequence[str] = JOB_PATHS,
    ) -> None:
        super().__init__(scope, construct_id)
        budget_environment = (
            {"SYSTEM_BUDGET_TABLE_NAME": budget_table.table.table_name, **config.system_budget.environment()}
            if budget_table is not None and config.system_budget is not None
            else {}
        )
        self.lambda_function = PythonFunction(
            self,
            "Lambda",
            config=config,
            bundle=API,
            handler=HANDLER,
            service_name=SERVICE_NAME,
            description="Validates and queues AI jobs, seals BYOK keys, answers job status",
            # Validation, one KMS call, one DynamoDB write and one SQS send: well within 10 s.
            timeout=Duration.seconds(10),
            memory_size=512,
            environment={
                "JOBS_TABLE_NAME": table.table_name,
                "JOBS_QUEUE_URL": queue.queue_url,
                "BYOK_KEY_ARN": byok_key.key.key_arn,
                "JOB_TTL_SECONDS": str(config.job_ttl_seconds),
                "SYSTEM_PATH_ENABLED": "true" if config.system_path_enabled else "false",
                "CORS_ALLOWED_ORIGINS": ",".join(config.cors_allowed_origins),
                **budget_environment,
            },
        )
        self.function = self.lambda_function.function
        role = self.lambda_function.role

        # Create (conditional put), read and cancel (conditional update); never scan or delete.
        grant_item_actions(table, role, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")
        queue.grant(role, "sqs:SendMessage")
        # Seal only: the api can never unseal a key it has queued.
        byok_key.grant_seal(role)
        if budget_table is not None:
            budget_table.grant_spend(role)

        self.rest_api = self._rest_api(config)
        self._routes(job_paths, key_check_function, authorizer)
        self._gateway_responses(config)
        self.api_keys = self._api_keys_and_usage_plan(config)
        # The first key keeps the logical id the stack always had (a deploy does not replace it).
        self.api_key = next(iter(self.api_keys.values()))

    def _rest_api(self, config: EnvironmentConfig) -> apigw.RestApi:
        rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=Stack.of(self).stack_name,
            description=f"CV AI Jobs ({config.name}): asynchronous AI jobs with bring-your-own-key",
            # Same-region frontend traffic; a CDN or custom domain can be put in front later.
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-wide API Gateway CloudWatch role is not this stack's to own (see the
            # APIG6 acknowledgment below).
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=config.name,
                access_log_destination=apigw.LogGroupLogDestination(
                    retained_log_group(self, "AccessLogs", config)
                ),
                access_log_format=apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
                throttling_rate_limit=config.api_throttle.rate_limit,
                throttling_burst_limit=config.api_throttle.burst_limit,
                method_options={f"{KEY_TEST_PATH}/POST": key_test_throttle(config)},
            ),
            default_method_options=apigw.MethodOptions(api_key_required=True),
            # Preflight requests carry no API key; CDK answers them with a mock integration that
            # echoes the request's Origin when it is one of the allowed origins.
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=list(config.cors_allowed_origins),
                allow_headers=list(CORS_ALLOWED_HEADERS),
                allow_methods=list(CORS_ALLOWED_METHODS),
                max_age=Duration.seconds(CORS_MAX_AGE_SECONDS),
            ),
        )
        # One output (ApiUrl, in the stack) rather than two with the same value.
        rest_api.node.try_remove_child("Endpoint")
        acknowledge(
            rest_api,
            "AwsSolutions-APIG2",
            "Requests are validated in the api Lambda (Powertools + Pydantic models per job type), "
            "which answers 400/413/422 with field paths in the service's error shape; API Gateway "
            "models would duplicate the job-type registry and answer in another shape.",
        )
        if not config.waf.enabled:
            acknowledge(
                rest_api.deployment_stage,
                "AwsSolutions-APIG3",
                f"No WAF web ACL in {config.name} (cdk.json waf.enabled; on in prod): every method "
                "requires an API key, and the usage plan (per-key throttle, daily quota), stage "
                "throttling and the system path's daily budgets bound abuse and cost.",
            )
        acknowledge(
            rest_api.deployment_stage,
            "AwsSolutions-APIG6",
            "Execution logging needs the account-wide API Gateway CloudWatch role, an account "
            "singleton this stack does not own (feature flag disableCloudWatchRole). Execution "
            "logs also record request parameter values (API Gateway redacts its own API key and "
            "Authorization, not X-User-Api-Key) and, with data trace, CV bodies. JSON access logs "
            "(request id, status, latencies, error type) are on instead.",
        )
        return rest_api

    def _routes(
        self,
        job_paths: Sequence[str],
        key_check_function: lambda_.IFunction,
        authorizer: apigw.IAuthorizer | None = None,
    ) -> None:
        for path in job_paths:
            # The contract's paths are lowercase words joined by hyphens (inject-keyword).
            if not re.fullmatch(r"[a-z]+(-[a-z]+)*", path):
                raise ValueError(f"job path {path!r} is not a lowercase, hyphenated path segment")
        # One permission per method (scoped to it); no extra permissions for console test calls.
        integration = apigw.LambdaIntegration(self.function, allow_test_invoke=False)
        ai = self.rest_api.root.add_resource("ai")
        jobs = ai.add_resource("jobs")
        # With identity on, the job routes also need the end user's verified token (the user owns
        # the job, cv_jobs.ownership); the document and the key check stay API key only.
        job_methods = [
            jobs.add_resource(path).add_method("POST", integration, authorizer=authorizer)
            for path in job_paths
        ]
        job = jobs.add_resource("{job_id}")
        job_methods += [
            job.add_method("GET", integration, authorizer=authorizer),
            job.add_method("DELETE", integration, authorizer=authorizer),
        ]
        methods = [] if authorizer is not None else list(job_methods)
        methods.append(ai.add_resource(OPENAPI_PATH).add_method("GET", integration))
        key_check = apigw.LambdaIntegration(key_check_function, allow_test_invoke=False)
        methods.append(ai.add_resource("keys").add_resource("test").add_method("POST", key_check))
        for method in methods:
            acknowledge(
                method,
                "AwsSolutions-APIG4",
                "Callers authorize with the API key (required on this method, bound to a usage "
                "plan): the contract the existing frontend uses. End-user identity is optional per "
                "environment (cdk.json identity), and then only on the job routes.",
            )
        for method in [*methods, *job_methods]:
            acknowledge(
                method,
                "AwsSolutions-COG4",
                "No Cognito user pool: callers hold an API key, and where identity is on, a Lambda "
                "authorizer verifies any OIDC issuer's tokens (infra/constructs/identity.py says why).",
            )

    def _gateway_responses(self, config: EnvironmentConfig) -> None:
        # Gateway responses can only carry static header values, so they cannot echo the request's
        # Origin the way the preflight and the Lambda do. One allowed origin: use it. Several: '*'.
        # That is safe here: the API uses no cookies or credentials (no
        # Access-Control-Allow-Credentials), and these bodies hold only API Gateway's generic
        # error text. Picking the first origin instead would hide the real error from the others.
        origins = config.cors_allowed_origins
        allow_origin = origins[0] if len(origins) == 1 else "*"
        headers = {
            "Access-Control-Allow-Origin": f"'{allow_origin}'",
            "Access-Control-Allow-Headers": f"'{','.join(CORS_ALLOWED_HEADERS)}'",
        }
        for response_id, response_type in (
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX),
        ):
            self.rest_api.add_gateway_response(
                response_id,
                type=response_type,
                response_headers=headers,
                templates={"application/json": GATEWAY_ERROR_TEMPLATE},
            )
        self.rest_api.add_gateway_response(
            "RouteNotFound",
            type=apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
            status_code="404",
            response_headers=headers,
            templates={"application/json": json.dumps(ROUTE_NOT_FOUND_BODY)},
        )

    def _api_keys_and_usage_plan(self, config: EnvironmentConfig) -> dict[str, apigw.IApiKey]:
        # API Gateway generates each key's value; it never appears in the template or the code. A
        # key's id (not its value) owns the jobs created with it (cv_jobs.ownership).
        api_keys = {
            name: self.rest_api.add_api_key(
                "ApiKey" if index == 0 else f"ApiKey{name.replace('-', '')}",
                description=f"API key {name!r} for CV AI Jobs ({config.name})",
            )
            for index, name in enumerate(config.api_keys)
        }
        usage_plan = self.rest_api.add_usage_plan(
            "UsagePlan",
            description=f"Per-key throttle and daily quota for CV AI Jobs ({config.name})",
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_throttle.rate_limit,
                burst_limit=config.api_throttle.burst_limit,
            ),
            quota=apigw.QuotaSettings(limit=config.api_quota_per_day, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        for api_key in api_keys.values():
            usage_plan.add_api_key(api_key)
        return api_keys


def key_test_throttle(config: EnvironmentConfig) -> apigw.MethodDeploymentOptions:
    """The stage throttle of POST /ai/keys/test, below the API's (see KEY_TEST_THROTTLE_SHARE)."""
    throttle = config.api_throttle
    return apigw.MethodDeploymentOptions(
        throttling_rate_limit=max(1.0, throttle.rate_limit / KEY_TEST_THROTTLE_SHARE),
        throttling_burst_limit=max(2, throttle.burst_limit // KEY_TEST_THROTTLE_SHARE),
    )
