"""The daily model check in the synthesized template: its schedule, its least-privilege role, its
environment, its bundle, and the alarms an operator sees before and when a model retires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.infra.synth import Synth, as_list, statements_of_role

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}


def _alarm(synth: Synth, alarm: Any) -> dict[str, Any]:
    properties: dict[str, Any] = synth.resource(alarm)["Properties"]
    return properties


def test_the_check_runs_daily_on_its_own_function(dev: Synth) -> None:
    check = dev.stack.model_check
    rule = dev.resource(check.schedule)["Properties"]

    assert rule["ScheduleExpression"] == "cron(0 6 * * ? *)"
    assert rule["State"] == "ENABLED"
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [dev.logical_id(check.function), "Arn"]}
    function = dev.resource(check.function)["Properties"]
    assert function["Handler"] == "cv_jobs.model_check.handler.lambda_handler"
    assert (function["Runtime"], function["Architectures"]) == ("python3.14", ["arm64"])


def test_the_check_may_read_the_system_secret_and_nothing_else(dev: Synth) -> None:
    role = dev.stack.model_check.lambda_function.role
    allowed: dict[str, set[str]] = {}
    for statement in statements_of_role(dev, role):
        assert statement["Effect"] == "Allow"
        for resource in as_list(statement["Resource"]):
            key = resource if resource == "*" else resource.get("Ref") or resource["Fn::GetAtt"][0]
            allowed.setdefault(key, set()).update(as_list(statement["Action"]))

    assert allowed == {
        dev.logical_id(dev.stack.system_secret.secret): {"secretsmanager:GetSecretValue"},
        dev.logical_id(dev.stack.model_check.lambda_function.log_group): LOGS,
        "*": XRAY,
    }


def test_the_check_checks_the_models_the_worker_calls(dev: Synth) -> None:
    env = dev.resource(dev.stack.model_check.function)["Properties"]["Environment"]["Variables"]
    worker = dev.resource(dev.stack.worker.function)["Properties"]["Environment"]["Variables"]

    for name in ("OPENAI_MODEL", "GEMINI_MODEL", "JOB_SETTINGS", "ENVIRONMENT_NAME"):
        assert env[name] == worker[name], name
    assert env["SYSTEM_OPENAI_SECRET_ARN"] == {"Ref": dev.logical_id(dev.stack.system_secret.secret)}
    assert env["MODEL_WARNING_DAYS"] == "90"
    assert env["POWERTOOLS_SERVICE_NAME"] == "cv-ai-jobs-model-check"


def test_an_alarm_fires_when_a_configured_model_needs_attention(dev: Synth) -> None:
    alarm = _alarm(dev, dev.stack.model_check.attention_alarm)

    assert (alarm["Namespace"], alarm["MetricName"]) == ("CvAiJobs", "ModelsNeedingAttention")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "cv-ai-jobs-model-check"}]
    assert (alarm["Statistic"], alarm["Period"]) == ("Maximum", 86_400)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


def test_an_alarm_fires_when_jobs_fail_on_an_unknown_model(dev: Synth) -> None:
    alarm = _alarm(dev, dev.stack.model_check.model_not_found_alarm)

    # The worker's metric: Powertools publishes it under the worker's service name.
    assert (alarm["Namespace"], alarm["MetricName"]) == ("CvAiJobs", "ModelNotFound")
    assert alarm["Dimensions"] == [
        {
            "Name": "service",
            "Value": dev.resource(dev.stack.worker.function)["Properties"]["Environment"]["Variables"][
                "POWERTOOLS_SERVICE_NAME"
            ],
        }
    ]
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 300, 1)


def test_an_alarm_fires_when_the_check_itself_fails(dev: Synth) -> None:
    alarm = _alarm(dev, dev.stack.model_check.check_failed_alarm)

    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": dev.logical_id(dev.stack.model_check.function)}}
    ]


def test_the_check_bundle_carries_httpx_and_its_code_but_no_llm_sdk_or_other_function(dev: Synth) -> None:
    metadata = dev.resource(dev.stack.model_check.function)["Metadata"]
    asset = Path(dev.outdir) / metadata["aws:asset:path"]

    assert (asset / "httpx").is_dir()
    assert (asset / "cv_jobs" / "model_check" / "handler.py").is_file()
    assert (asset / "cv_jobs" / "llm" / "schedule.py").is_file()
    assert not (asset / "openai").exists()
    assert not (asset / "cv_jobs" / "worker").exists()
    assert not (asset / "cv_jobs" / "api").exists()
