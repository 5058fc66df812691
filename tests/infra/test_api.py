"""The REST API: routes, API key on every method, usage plan, stage, CORS and gateway errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from cv_jobs.job_types import JOB_TYPES
from infra.api_contract import (
    CORS_ALLOWED_HEADERS,
    CORS_ALLOWED_METHODS,
    CORS_MAX_AGE_SECONDS,
    ROUTE_NOT_FOUND_BODY,
)
from infra.config import environment_config
from infra.stack import CvAiJobsStack
from local.gateway_settings import ROUTE_NOT_FOUND
from local.routes import Routes
from tests.infra.synth import Synth, cdk_context

CORS_HEADERS = {"Content-Type", "X-API-Key", "X-User-Provider", "X-User-Api-Key"}


def _methods(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, full resource path) -> the method's properties."""
    resources = synth.template.find_resources("AWS::ApiGateway::Resource")
    rest_api_id = synth.logical_id(synth.stack.api.rest_api)

    def path_of(resource_id: Any) -> str:
        if resource_id == {"Fn::GetAtt": [rest_api_id, "RootResourceId"]}:
            return ""
        properties = resources[resource_id["Ref"]]["Properties"]
        return f"{path_of(properties['ParentId'])}/{properties['PathPart']}"

    return {
        (method["Properties"]["HttpMethod"], path_of(method["Properties"]["ResourceId"]) or "/"): method[
            "Properties"
        ]
        for method in synth.template.find_resources("AWS::ApiGateway::Method").values()
    }


def test_routes_are_the_http_contract(dev: Synth) -> None:
    # Given the job types the functions' registry declares
    job_posts = {("POST", f"/ai/jobs/{job_type.path}") for job_type in JOB_TYPES}

    # When the dev stack is synthesized
    routes = {route for route in _methods(dev) if route[0] != "OPTIONS"}

    # Then the API has a POST per job type, the job's GET and DELETE, the OpenAPI document and the
    # key check, no more
    assert routes == job_posts | {
        ("GET", "/ai/jobs/{job_id}"),
        ("DELETE", "/ai/jobs/{job_id}"),
        ("GET", "/ai/openapi.json"),
        ("POST", "/ai/keys/test"),
    }


def test_every_registered_job_type_has_its_post_method(dev: Synth) -> None:
    # Given every job type in the registry (the routes are derived from it, never listed by hand)
    methods = _methods(dev)
    api_function = dev.logical_id(dev.stack.api.function)

    for job_type in JOB_TYPES:
        # Then its path has a POST method behind the API key, proxied to the api function
        method = methods.get(("POST", f"/ai/jobs/{job_type.path}"))
        assert method is not None, job_type.name
        assert method["ApiKeyRequired"] is True, job_type.name
        assert method["Integration"]["Type"] == "AWS_PROXY", job_type.name
        assert {"Fn::GetAtt": [api_function, "Arn"]} in method["Integration"]["Uri"]["Fn::Join"][1]
        # and the browser's preflight for it
        assert ("OPTIONS", f"/ai/jobs/{job_type.path}") in methods, job_type.name


def test_openapi_document_is_a_get_behind_the_api_key(dev: Synth) -> None:
    # When the dev stack is synthesized
    method = _methods(dev).get(("GET", "/ai/openapi.json"))

    # Then the OpenAPI document is served by the api function, with the API key like every route
    assert method is not None
    assert method["ApiKeyRequired"] is True
    assert method["Integration"]["Type"] == "AWS_PROXY"
    api_function = dev.logical_id(dev.stack.api.function)
    assert {"Fn::GetAtt": [api_function, "Arn"]} in method["Integration"]["Uri"]["Fn::Join"][1]


def test_local_gateway_has_the_stacks_routes(dev: Synth) -> None:
    # Given the local gateway's routes for the same registry
    local = Routes(job_type.path for job_type in JOB_TYPES)

    # When they are compared with the synthesized API's methods
    methods = _methods(dev)

    # Then both have the same methods, and a preflight on the same resources
    assert local.methods() == {route for route in methods if route[0] != "OPTIONS"}
    for _, resource in (route for route in methods if route[0] == "OPTIONS"):
        assert local.is_resource(resource.replace("{job_id}", "some-id")), resource


def test_every_route_proxies_to_its_function_and_requires_the_api_key(dev: Synth) -> None:
    api_function = dev.logical_id(dev.stack.api.function)
    key_check_function = dev.logical_id(dev.stack.key_check.function)

    for route, method in _methods(dev).items():
        if route[0] == "OPTIONS":
            continue
        # The key check is its own function (no httpx in the api); every other route is the api's.
        function = key_check_function if route == ("POST", "/ai/keys/test") else api_function
        assert method["ApiKeyRequired"] is True, route
        assert method["Integration"]["Type"] == "AWS_PROXY", route
        assert {"Fn::GetAtt": [function, "Arn"]} in method["Integration"]["Uri"]["Fn::Join"][1], route


def test_cors_preflight_needs_no_api_key_and_allows_the_byok_headers(dev: Synth) -> None:
    # Browsers send preflights without custom headers, so these must not require the key.
    preflights = {route: method for route, method in _methods(dev).items() if route[0] == "OPTIONS"}

    assert {path for _, path in preflights} >= {"/ai/jobs/extract", "/ai/jobs/{job_id}", "/ai/openapi.json"}
    for route, method in preflights.items():
        assert method["ApiKeyRequired"] is False, route
        [response] = method["Integration"]["IntegrationResponses"]
        headers = response["ResponseParameters"]
        allowed = set(headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(","))
        assert allowed >= CORS_HEADERS, route
        # exactly the contract the local gateway answers preflights with (infra/api_contract.py)
        assert allowed == set(CORS_ALLOWED_HEADERS), route
        methods = set(headers["method.response.header.Access-Control-Allow-Methods"].strip("'").split(","))
        assert methods == {"GET", "POST", "DELETE", "OPTIONS"} == set(CORS_ALLOWED_METHODS), route
        max_age = headers.get("method.response.header.Access-Control-Max-Age")
        assert max_age == f"'{CORS_MAX_AGE_SECONDS}'", route
        # First allowed origin by default; the template echoes any other allowed origin.
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'http://localhost:5173'"
        assert '"http://127.0.0.1:5173"' in response["ResponseTemplates"]["application/json"]


def _gateway_responses(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        response["Properties"]["ResponseType"]: response["Properties"]
        for response in synth.template.find_resources("AWS::ApiGateway::GatewayResponse").values()
    }


def test_gateway_errors_carry_cors_headers_and_the_error_shape(dev: Synth) -> None:
    responses = _gateway_responses(dev)

    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN"}
    for response in (responses["DEFAULT_4XX"], responses["DEFAULT_5XX"]):
        headers = response["ResponseParameters"]
        # dev allows two origins and a gateway response cannot echo one: '*' (no credentials).
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"
        allowed = headers["gatewayresponse.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert set(allowed) >= CORS_HEADERS
        rendered = (
            response["ResponseTemplates"]["application/json"]
            .replace("$context.error.responseType", "THROTTLED")
            .replace("$context.error.messageString", '"Too Many Requests"')
        )
        assert json.loads(rendered) == {
            "error": {"code": "THROTTLED", "message": "Too Many Requests"},
            "detail": "Too Many Requests",
        }


def test_unknown_route_is_a_404_in_the_apis_error_body_not_a_403(dev: Synth) -> None:
    # Given the gateway response API Gateway uses for a path or method it has no resource for
    response = _gateway_responses(dev)["MISSING_AUTHENTICATION_TOKEN"]

    # Then it is a 404 with the api function's route_not_found body (static: no VTL to render)
    assert response["StatusCode"] == "404"
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body["error"] == {"code": "route_not_found", "message": "No such route."}
    assert body["detail"]
    assert "$" not in response["ResponseTemplates"]["application/json"]
    # and the same CORS headers as the other gateway responses, so a browser can read it
    assert response["ResponseParameters"] == _gateway_responses(dev)["DEFAULT_4XX"]["ResponseParameters"]


def test_local_gateway_answers_unknown_routes_with_the_stacks_body() -> None:
    # Given the local gateway's answer for a route it does not have
    # Then it is the stack's MISSING_AUTHENTICATION_TOKEN response: 404, the same body
    assert ROUTE_NOT_FOUND.status == 404
    assert ROUTE_NOT_FOUND.response_type == "MISSING_AUTHENTICATION_TOKEN"
    assert ROUTE_NOT_FOUND.body() == ROUTE_NOT_FOUND_BODY


def test_single_origin_environment_names_its_origin_on_gateway_errors(prod: Synth) -> None:
    for response in prod.template.find_resources("AWS::ApiGateway::GatewayResponse").values():
        headers = response["Properties"]["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com'"


def test_stage_is_named_after_the_environment_throttled_and_access_logged(dev: Synth) -> None:
    [stage] = dev.template.find_resources("AWS::ApiGateway::Stage").values()
    properties = stage["Properties"]

    assert properties["StageName"] == "dev"
    # The whole API's throttle, and the key check's below it (tests/infra/test_key_check.py)
    assert properties["MethodSettings"][0] == {
        "DataTraceEnabled": False,
        "HttpMethod": "*",
        "ResourcePath": "/*",
        "ThrottlingBurstLimit": dev.config.api_throttle.burst_limit,
        "ThrottlingRateLimit": dev.config.api_throttle.rate_limit,
    }
    assert [(s["HttpMethod"], s["ResourcePath"]) for s in properties["MethodSettings"][1:]] == [
        ("POST", "/~1ai~1keys~1test")
    ]
    destination = properties["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    log_group = dev.template.to_json()["Resources"][destination]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == dev.config.log_retention_days


def test_every_log_group_has_the_configured_retention(dev: Synth) -> None:
    log_groups = dev.template.find_resources("AWS::Logs::LogGroup")
    functions = dev.template.find_resources("AWS::Lambda::Function").values()

    # One per function, each function logging to its own, plus the API's access logs: no log group
    # is created implicitly (with no retention) and none is shared.
    function_groups = [function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for function in functions]
    assert len(set(function_groups)) == len(function_groups)
    assert set(function_groups) < set(log_groups)
    assert len(log_groups) == len(function_groups) + 1
    assert {group["Properties"]["RetentionInDays"] for group in log_groups.values()} == {14}


def test_access_log_is_json_and_never_records_keys_or_headers(dev: Synth) -> None:
    [stage] = dev.template.find_resources("AWS::ApiGateway::Stage").values()
    log_format = stage["Properties"]["AccessLogSetting"]["Format"]

    fields = json.loads(log_format)
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"
    assert "$context.identity.apiKey" not in fields.values()  # the key's id only
    assert "header" not in log_format.lower()
    assert "$input" not in log_format


def test_usage_plan_binds_the_api_key_to_the_stage_with_throttle_and_quota(dev: Synth) -> None:
    [plan_id] = dev.template.find_resources("AWS::ApiGateway::UsagePlan")
    plan = dev.template.to_json()["Resources"][plan_id]["Properties"]
    [stage_id] = dev.template.find_resources("AWS::ApiGateway::Stage")

    assert plan["ApiStages"] == [
        {"ApiId": {"Ref": dev.logical_id(dev.stack.api.rest_api)}, "Stage": {"Ref": stage_id}, "Throttle": {}}
    ]
    assert plan["Throttle"] == {"BurstLimit": 10, "RateLimit": 5}
    assert plan["Quota"] == {"Limit": dev.config.api_quota_per_day, "Period": "DAY"}
    dev.template.has_resource_properties(
        "AWS::ApiGateway::UsagePlanKey",
        {
            "KeyId": {"Ref": dev.logical_id(dev.stack.api.api_key)},
            "KeyType": "API_KEY",
            "UsagePlanId": {"Ref": plan_id},
        },
    )
    # The key's value is generated by API Gateway, never written in the template.
    [api_key] = dev.template.find_resources("AWS::ApiGateway::ApiKey").values()
    assert "Value" not in api_key["Properties"]


def test_a_job_path_outside_the_contracts_style_is_refused(tmp_path: Path) -> None:
    context = cdk_context("dev", **{"aws:cdk:bundling-stacks": []})
    app = App(context=context, outdir=str(tmp_path))
    config = environment_config(context["environments"], "dev")

    with pytest.raises(ValueError, match="inject_keyword"):
        CvAiJobsStack(app, "Routes", config=config, job_paths=("extract", "inject_keyword"))
