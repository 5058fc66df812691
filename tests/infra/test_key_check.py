"""The key check in the synthesized template: its own small function behind `POST /ai/keys/test`
(API key, usage plan, a stage throttle below the API's), an environment that names the models the
worker calls, no AWS permission beyond its logs, and a bundle with httpx but no LLM SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.infra.synth import Synth, as_list, statements_of_role

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
KEY_TEST_SETTING = ("POST", "/~1ai~1keys~1test")


def _asset(synth: Synth, construct: Any) -> Path:
    return synth.outdir / synth.resource(construct)["Metadata"]["aws:asset:path"]


def _key_test_method(synth: Synth) -> dict[str, Any]:
    integration = {"Fn::GetAtt": [synth.logical_id(synth.stack.key_check.function), "Arn"]}
    methods = [
        method["Properties"]
        for method in synth.template.find_resources("AWS::ApiGateway::Method").values()
        if integration in _uri_parts(method["Properties"].get("Integration", {}).get("Uri"))
    ]
    assert len(methods) == 1, methods
    return methods[0]


def _uri_parts(uri: Any) -> list[Any]:
    return uri["Fn::Join"][1] if isinstance(uri, dict) and "Fn::Join" in uri else []


def _stage_throttle(synth: Synth) -> dict[str, Any]:
    [stage] = synth.template.find_resources("AWS::ApiGateway::Stage").values()
    [setting] = [
        s
        for s in stage["Properties"]["MethodSettings"]
        if (s["HttpMethod"], s["ResourcePath"]) == KEY_TEST_SETTING
    ]
    return {"rate": setting["ThrottlingRateLimit"], "burst": setting["ThrottlingBurstLimit"]}


def test_the_key_check_is_a_small_arm64_function_with_its_own_handler(dev: Synth) -> None:
    properties = dev.resource(dev.stack.key_check.function)["Properties"]

    assert properties["Handler"] == "cv_jobs.key_check.handler.lambda_handler"
    assert (properties["Runtime"], properties["Architectures"]) == ("python3.14", ["arm64"])
    assert (properties["MemorySize"], properties["Timeout"]) == (256, 10)
    env = properties["Environment"]["Variables"]
    # Its own budget for the provider leaves the function time to answer
    assert float(env["KEY_CHECK_TIMEOUT_SECONDS"]) < properties["Timeout"]
    assert env["CORS_ALLOWED_ORIGINS"] == ",".join(dev.config.cors_allowed_origins)
    assert env["POWERTOOLS_SERVICE_NAME"] == "cv-ai-jobs-key-check"


def test_the_key_check_asks_about_the_models_the_worker_calls(dev: Synth) -> None:
    env = dev.resource(dev.stack.key_check.function)["Properties"]["Environment"]["Variables"]
    worker = dev.resource(dev.stack.worker.function)["Properties"]["Environment"]["Variables"]

    for name in ("OPENAI_MODEL", "GEMINI_MODEL", "JOB_SETTINGS", "ENVIRONMENT_NAME"):
        assert env[name] == worker[name], name


def test_the_key_check_may_write_its_logs_and_nothing_else(dev: Synth) -> None:
    allowed: dict[str, set[str]] = {}
    for statement in statements_of_role(dev, dev.stack.key_check.lambda_function.role):
        assert statement["Effect"] == "Allow"
        for resource in as_list(statement["Resource"]):
            key = resource if resource == "*" else resource.get("Ref") or resource["Fn::GetAtt"][0]
            allowed.setdefault(key, set()).update(as_list(statement["Action"]))

    # No table, queue, KMS key or secret: a user's key is only ever sent to its provider.
    assert allowed == {dev.logical_id(dev.stack.key_check.lambda_function.log_group): LOGS, "*": XRAY}


def test_post_keys_test_is_the_key_checks_behind_the_api_key(dev: Synth) -> None:
    method = _key_test_method(dev)

    assert method["HttpMethod"] == "POST"
    assert method["ApiKeyRequired"] is True
    assert method["Integration"]["Type"] == "AWS_PROXY"


def test_the_key_check_is_throttled_below_the_rest_of_the_api(dev: Synth, prod: Synth) -> None:
    for synth in (dev, prod):
        # Given the environment's API throttle (also the usage plan's, per API key)
        api = synth.config.api_throttle
        # When the stage's settings for POST /ai/keys/test are read
        throttle = _stage_throttle(synth)
        # Then it has its own, lower limits (a fifth, at least 1/s with a burst of 2)
        assert throttle == {"rate": max(1.0, api.rate_limit / 5), "burst": max(2, api.burst_limit // 5)}
        assert throttle["rate"] <= api.rate_limit
        assert throttle["burst"] <= api.burst_limit
    assert _stage_throttle(prod) == {"rate": 10, "burst": 20}


def test_key_check_bundle_has_httpx_and_no_llm_sdk_nor_other_functions_code(dev: Synth) -> None:
    asset = _asset(dev, dev.stack.key_check.function)

    assert (asset / "httpx").is_dir()
    assert (asset / "aws_lambda_powertools").is_dir()
    assert (asset / "cv_jobs" / "key_check" / "handler.py").is_file()
    assert (asset / "cv_jobs" / "model_check" / "lookup.py").is_file()
    assert (asset / "cv_jobs" / "llm" / "provider_errors.py").is_file()
    assert not (asset / "openai").exists()
    assert not (asset / "cv_jobs" / "api").exists()
    assert not (asset / "cv_jobs" / "worker").exists()


def test_no_other_bundle_carries_the_key_check(dev: Synth) -> None:
    for function in (dev.stack.api.function, dev.stack.worker.function, dev.stack.model_check.function):
        assert not (_asset(dev, function) / "cv_jobs" / "key_check").exists()
