"""Least privilege and the security switches, asserted on the synthesized templates: no wildcard
action anywhere, each role only its own resources, only the worker (and the model check) may read
the system key, the WAF in prod, the authorizer on the job routes when identity is on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.application import create_app
from infra.constructs.api import JOB_PATHS
from tests.infra.synth import Synth, as_list, cdk_context, statements_of_role

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _roles(synth: Synth) -> dict[str, Any]:
    return synth.template.find_resources("AWS::IAM::Role")


def _allow_statements(synth: Synth) -> list[dict[str, Any]]:
    statements = []
    for policy in synth.template.find_resources("AWS::IAM::Policy").values():
        statements += policy["Properties"]["PolicyDocument"]["Statement"]
    for role in _roles(synth).values():
        for policy in role["Properties"].get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
    # The BYOK key's own policy too (the alarm topic's key keeps CDK's default policy, which lets
    # CloudWatch use it: not ours to narrow here).
    statements += synth.resource(synth.stack.byok_key.key)["Properties"]["KeyPolicy"]["Statement"]
    return [statement for statement in statements if statement["Effect"] == "Allow"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_role_policy_nor_the_byok_key_policy_allows_a_wildcard_action(
    env: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(env)
    actions = {action for s in _allow_statements(synth) for action in as_list(s["Action"])}
    assert actions
    assert [action for action in actions if "*" in action] == []


def test_resource_star_is_only_ever_x_ray(dev: Synth) -> None:
    for statement in _allow_statements(dev):
        if "KMS" in str(statement.get("Principal", "")) or statement.get("Principal"):
            continue  # key policies: "*" there means this key
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= XRAY, statement


def test_each_function_role_reaches_only_its_own_resources(dev: Synth) -> None:
    stack = dev.stack
    assert stack.budget_table is not None
    own = {
        "api": {stack.jobs_table.table, stack.budget_table.table, stack.jobs_queue.queue, stack.byok_key.key},
        "worker": {
            stack.jobs_table.table,
            stack.jobs_queue.queue,
            stack.byok_key.key,
            stack.system_secret.secret,
        },
    }
    for name, resources in own.items():
        function = getattr(stack, name).lambda_function
        allowed = {dev.logical_id(resource) for resource in resources} | {dev.logical_id(function.log_group)}
        for statement in statements_of_role(dev, function.role):
            for resource in as_list(statement["Resource"]):
                if resource == "*":
                    continue  # X-Ray only (test above)
                target = resource.get("Ref") or resource.get("Fn::GetAtt", [None])[0]
                if target is None:  # e.g. Fn::Join of a table ARN and "/index/..."
                    target = next(p["Fn::GetAtt"][0] for p in resource["Fn::Join"][1] if isinstance(p, dict))
                assert target in allowed, (name, statement)


def test_only_the_worker_and_the_model_check_may_read_the_system_key(dev: Synth) -> None:
    stack = dev.stack
    secret = dev.logical_id(stack.system_secret.secret)
    readers: set[str] = set()
    for policy in dev.template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if any(action.startswith("secretsmanager:") for action in as_list(statement["Action"])):
                assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"]
                assert [r.get("Ref") for r in as_list(statement["Resource"])] == [secret]
                readers |= {role["Ref"] for role in policy["Properties"]["Roles"]}
    assert readers == {
        dev.logical_id(stack.worker.lambda_function.role),
        dev.logical_id(stack.model_check.lambda_function.role),
    }


def test_prod_has_a_web_acl_with_a_per_ip_rate_rule_on_its_stage(prod: Synth) -> None:
    [web_acl] = prod.template.find_resources("AWS::WAFv2::WebACL").values()
    [rule] = [r for r in web_acl["Properties"]["Rules"] if "RateBasedStatement" in r["Statement"]]
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP"
    assert rate["Limit"] == prod.config.waf.requests_per_five_minutes_per_ip
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    [association] = prod.template.find_resources("AWS::WAFv2::WebACLAssociation").values()
    stage = prod.logical_id(prod.stack.api.rest_api.deployment_stage)
    assert stage in str(association["Properties"]["ResourceArn"])


def test_dev_has_no_web_acl_and_prod_runs_the_system_path_within_budgets(dev: Synth, prod: Synth) -> None:
    assert dev.template.find_resources("AWS::WAFv2::WebACL") == {}
    assert prod.config.system_path_enabled
    api = prod.resource(prod.stack.api.function)["Properties"]["Environment"]["Variables"]
    budget = prod.config.system_budget
    assert budget is not None
    assert api["SYSTEM_BUDGET_DAILY_JOBS"] == str(budget.daily_jobs)
    assert api["SYSTEM_BUDGET_DAILY_JOBS_PER_API_KEY"] == str(budget.daily_jobs_per_api_key)
    assert api["SYSTEM_BUDGET_DAILY_JOBS_PER_USER"] == str(budget.daily_jobs_per_user)
    assert api["SYSTEM_BUDGET_TABLE_NAME"] == {"Ref": prod.logical_id(prod.stack.budget_table.table)}  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def with_identity(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev with identity on and two API keys (no bundling)."""
    context = cdk_context("dev", **{"aws:cdk:bundling-stacks": []})
    context["environments"]["dev"] = {
        **context["environments"]["dev"],
        "identity": {"issuer": "https://idp.example.com/", "audience": "cv-app"},
        "apiKeys": ["frontend", "partner-b"],
    }
    outdir: Path = tmp_path_factory.mktemp("cdk.out.identity")
    app, stack = create_app(context, outdir=str(outdir))
    app.synth()
    from aws_cdk.assertions import Template

    return Synth(app=app, stack=stack, template=Template.from_stack(stack), outdir=outdir)


def test_with_identity_the_job_routes_need_the_token_authorizer(with_identity: Synth) -> None:
    # Given the stack with identity on
    [authorizer_id] = with_identity.template.find_resources("AWS::ApiGateway::Authorizer")
    authorizer = with_identity.template.find_resources("AWS::ApiGateway::Authorizer")[authorizer_id]
    assert authorizer["Properties"]["Type"] == "TOKEN"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"

    # Then every job method uses it and the document does not
    methods = with_identity.template.find_resources("AWS::ApiGateway::Method")
    custom = [m for m in methods.values() if m["Properties"].get("AuthorizationType") == "CUSTOM"]
    assert len(custom) == len(JOB_PATHS) + 2  # POST per job type, GET and DELETE of a job
    for method in custom:
        assert method["Properties"]["AuthorizerId"] == {"Ref": authorizer_id}
    # and the authorizer's function may only write its logs
    role = with_identity.stack.identity.lambda_function.role  # type: ignore[union-attr]
    actions = {a for s in statements_of_role(with_identity, role) for a in as_list(s["Action"])}
    assert actions <= {"logs:CreateLogStream", "logs:PutLogEvents"} | XRAY
    env = with_identity.resource(with_identity.stack.identity.lambda_function.function)  # type: ignore[union-attr]
    assert env["Properties"]["Environment"]["Variables"]["OIDC_AUDIENCE"] == "cv-app"


def test_each_configured_api_key_is_on_the_usage_plan(with_identity: Synth) -> None:
    keys = with_identity.template.find_resources("AWS::ApiGateway::ApiKey")
    plan_keys = with_identity.template.find_resources("AWS::ApiGateway::UsagePlanKey")
    assert len(keys) == len(plan_keys) == 2
    assert {p["Properties"]["KeyId"]["Ref"] for p in plan_keys.values()} == set(keys)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_function_is_told_to_log_its_events(env: str, request: pytest.FixtureRequest) -> None:
    # The api's event carries X-User-Api-Key and the CV; cv_jobs.observability refuses to start too.
    synth: Synth = request.getfixturevalue(env)
    functions = synth.template.find_resources("AWS::Lambda::Function")
    assert functions
    for function in functions.values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert "POWERTOOLS_LOGGER_LOG_EVENT" not in variables
