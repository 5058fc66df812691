"""The REST API: routes, API key on every method, usage plan, stage, CORS and gateway errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.config import environment_config
from infra.constructs.api import JOB_PATHS
from infra.stack import CvAiJobsStack
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
    routes = {route for route in _methods(dev) if route[0] != "OPTIONS"}

    assert routes == {
        ("POST", "/ai/jobs/extract"),
        ("GET", "/ai/jobs/{job_id}"),
        ("DELETE", "/ai/jobs/{job_id}"),
    }


def test_every_route_proxies_to_the_api_function_and_requires_the_api_key(dev: Synth) -> None:
    api_function = dev.logical_id(dev.stack.api.function)

    for route, method in _methods(dev).items():
        if route[0] == "OPTIONS":
            continue
        assert method["ApiKeyRequired"] is True, route
        assert method["Integration"]["Type"] == "AWS_PROXY", route
        assert {"Fn::GetAtt": [api_function, "Arn"]} in method["Integration"]["Uri"]["Fn::Join"][1], route


def test_cors_preflight_needs_no_api_key_and_allows_the_byok_headers(dev: Synth) -> None:
    # Browsers send preflights without custom headers, so these must not require the key.
    preflights = {route: method for route, method in _methods(dev).items() if route[0] == "OPTIONS"}

    assert {path for _, path in preflights} >= {"/ai/jobs/extract", "/ai/jobs/{job_id}"}
    for route, method in preflights.items():
        assert method["ApiKeyRequired"] is False, route
        [response] = method["Integration"]["IntegrationResponses"]
        headers = response["ResponseParameters"]
        allowed = set(headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(","))
        assert allowed >= CORS_HEADERS, route
        methods = set(headers["method.response.header.Access-Control-Allow-Methods"].strip("'").split(","))
        assert methods == {"GET", "POST", "DELETE", "OPTIONS"}, route
        # First allowed origin by default; the template echoes any other allowed origin.
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'http://localhost:5173'"
        assert '"http://127.0.0.1:5173"' in response["ResponseTemplates"]["application/json"]


def test_gateway_errors_carry_cors_headers_and_the_error_shape(dev: Synth) -> None:
    responses = {
        response["Properties"]["ResponseType"]: response["Properties"]
        for response in dev.template.find_resources("AWS::ApiGateway::GatewayResponse").values()
    }

    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
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


def test_single_origin_environment_names_its_origin_on_gateway_errors(prod: Synth) -> None:
    for response in prod.template.find_resources("AWS::ApiGateway::GatewayResponse").values():
        headers = response["Properties"]["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com'"


def test_stage_is_named_after_the_environment_throttled_and_access_logged(dev: Synth) -> None:
    [stage] = dev.template.find_resources("AWS::ApiGateway::Stage").values()
    properties = stage["Properties"]

    assert properties["StageName"] == "dev"
    assert properties["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": dev.config.api_throttle.burst_limit,
            "ThrottlingRateLimit": dev.config.api_throttle.rate_limit,
        }
    ]
    destination = properties["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    log_group = dev.template.to_json()["Resources"][destination]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == dev.config.log_retention_days


def test_every_log_group_has_the_configured_retention(dev: Synth) -> None:
    log_groups = dev.template.find_resources("AWS::Logs::LogGroup")

    assert len(log_groups) == 3  # api, worker, API access logs
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


def test_every_job_path_gets_a_post_route(tmp_path: Path) -> None:
    # Given the eight job types the HTTP contract lists
    job_paths = (
        *JOB_PATHS,
        "tailor",
        "evaluate",
        "rephrase",
        "recommend",
        "inject-keyword",
        "elaborate",
        "improve-from-feedback",
    )
    context = cdk_context("dev", **{"aws:cdk:bundling-stacks": []})
    app = App(context=context, outdir=str(tmp_path))
    config = environment_config(context["environments"], "dev")

    # When the stack is built with them
    stack = CvAiJobsStack(app, "Routes", config=config, job_paths=job_paths)
    app.synth()

    # Then each one is a POST route that requires the API key
    synth = Synth(app=app, stack=stack, template=Template.from_stack(stack), outdir=tmp_path)
    posts = {path: method for (verb, path), method in _methods(synth).items() if verb == "POST"}
    assert set(posts) == {f"/ai/jobs/{path}" for path in job_paths}
    assert all(method["ApiKeyRequired"] is True for method in posts.values())


def test_a_job_path_outside_the_contracts_style_is_refused(tmp_path: Path) -> None:
    context = cdk_context("dev", **{"aws:cdk:bundling-stacks": []})
    app = App(context=context, outdir=str(tmp_path))
    config = environment_config(context["environments"], "dev")

    with pytest.raises(ValueError, match="inject_keyword"):
        CvAiJobsStack(app, "Routes", config=config, job_paths=("extract", "inject_keyword"))


def test_job_paths_match_the_functions_job_type_registry() -> None:
    # infra does not import Lambda code; this test keeps the two lists from drifting apart.
    from cv_jobs.job_types import JOB_TYPES

    assert sorted(JOB_PATHS) == sorted(job_type.path for job_type in JOB_TYPES)
