"""What operators get in CloudWatch from the synthesized stack: the metric namespace, alarms with
their thresholds and their action, the alarm topic, saved Logs Insights queries, the dashboard and
the stack outputs with stable names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from cv_jobs import metric_names as names
from infra.config import CDK_JSON, environment_config
from infra.constructs.monitoring import AlarmTopic
from tests.infra.synth import Synth

ENVIRONMENTS: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]["environments"]


def _resources(synth: Synth, kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in synth.template.to_json()["Resources"].items()
        if resource["Type"] == kind
    }


def _alarms_by_name(synth: Synth) -> dict[str, dict[str, Any]]:
    prefix = f"{synth.stack.stack_name}-"
    alarms = {}
    for resource in _resources(synth, "AWS::CloudWatch::Alarm").values():
        name = resource["Properties"].get("AlarmName")
        if name:
            assert name.startswith(prefix), name
            alarms[name.removeprefix(prefix)] = resource["Properties"]
    return alarms


def _watched(alarm: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    """(metric name, statistic, dimensions) of an alarm on one metric, in either template form."""
    if "MetricName" in alarm:
        statistic = alarm.get("Statistic") or alarm["ExtendedStatistic"]
        return alarm["MetricName"], statistic, alarm["Dimensions"]
    [metric] = alarm["Metrics"]
    stat = metric["MetricStat"]
    return stat["Metric"]["MetricName"], stat["Stat"], stat["Metric"]["Dimensions"]


def _topic_ref(synth: Synth) -> dict[str, str]:
    return {"Ref": synth.logical_id(synth.stack.alarm_topic.topic)}


def test_every_function_publishes_metrics_under_the_service_namespace(dev: Synth) -> None:
    # Given every Lambda function of the stack
    functions = _resources(dev, "AWS::Lambda::Function").values()
    variables = [f["Properties"]["Environment"]["Variables"] for f in functions]

    # Then each publishes under the one namespace the alarms and dashboard read
    assert variables
    assert {v["POWERTOOLS_METRICS_NAMESPACE"] for v in variables} == {names.NAMESPACE}
    # and the api and worker publish under the service names the alarms and dashboard use
    api = dev.resource(dev.stack.api.function)["Properties"]["Environment"]["Variables"]
    worker = dev.resource(dev.stack.worker.function)["Properties"]["Environment"]["Variables"]
    assert (api["POWERTOOLS_SERVICE_NAME"], worker["POWERTOOLS_SERVICE_NAME"]) == (
        names.API_SERVICE,
        names.WORKER_SERVICE,
    )


def test_every_alarm_notifies_the_alarm_topic_and_says_what_to_do(dev: Synth) -> None:
    # Given every alarm of the stack, the model check's included
    alarms = _resources(dev, "AWS::CloudWatch::Alarm").values()
    assert len(alarms) >= 10

    # Then each notifies the topic when it fires, with a description an operator can act on
    for alarm in alarms:
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [_topic_ref(dev)], properties.get("AlarmName")
        assert len(properties["AlarmDescription"]) > 40
    # and the service alarms say when they are back to normal and where the runbook is
    for name, properties in _alarms_by_name(dev).items():
        assert properties["OKActions"] == [_topic_ref(dev)], name
        assert "docs/operations.md" in properties["AlarmDescription"], name


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_alarms_fire_at_the_environments_thresholds(dev: Synth, prod: Synth, env_name: str) -> None:
    synth = {"dev": dev, "prod": prod}[env_name]
    limits = synth.config.alarm_thresholds
    alarms = _alarms_by_name(synth)

    # The DLQ alarm fires on a single message
    dlq = alarms["JobsQueue-DLQ-Queue-Message-Count-Max-Critical"]
    metric, _, dimensions = _watched(dlq)
    assert (metric, dlq["Threshold"], dlq["ComparisonOperator"]) == (
        "ApproximateNumberOfMessagesVisible",
        0,
        "GreaterThanThreshold",
    )
    dead_letter_queue = synth.logical_id(synth.stack.jobs_queue.dead_letter_queue)
    assert dimensions[0]["Value"]["Fn::GetAtt"][0] == dead_letter_queue
    # the oldest message in the jobs queue, at the environment's age
    age = alarms["JobsQueue-Queue-Message-Age-Max-Warning"]
    metric, _, dimensions = _watched(age)
    assert (metric, age["Threshold"]) == ("ApproximateAgeOfOldestMessage", limits.oldest_message_seconds)
    assert dimensions[0]["Value"]["Fn::GetAtt"][0] == synth.logical_id(synth.stack.jobs_queue.queue)
    # worker invocation errors and throttles
    worker = [{"Name": "FunctionName", "Value": {"Ref": synth.logical_id(synth.stack.worker.function)}}]
    errors = alarms["Worker-Fault-Count-Critical"]
    throttles = alarms["Worker-Throttled-Count-Warning"]
    assert (_watched(errors)[0], _watched(errors)[2], errors["Threshold"]) == (
        "Errors",
        worker,
        limits.worker_errors,
    )
    assert (_watched(throttles)[0], _watched(throttles)[2], throttles["Threshold"]) == (
        "Throttles",
        worker,
        0,
    )
    # the API's 5XX rate (a fraction) and p95 latency on this environment's stage
    fault = alarms["Api-Fault-Rate-Critical"]
    assert _watched(fault)[:2] == ("5XXError", "Average")
    assert fault["Threshold"] == pytest.approx(limits.api_5xx_percent / 100)
    latency = alarms["Api-Latency-P95-Warning"]
    metric, statistic, dimensions = _watched(latency)
    assert (metric, statistic.lower(), latency["Threshold"]) == ("Latency", "p95", limits.api_p95_ms)
    assert {"Name": "Stage", "Value": env_name} in dimensions


def test_the_job_failure_rate_alarm_counts_provider_outages_and_our_errors_among_finished_jobs(
    dev: Synth,
) -> None:
    alarm = _alarms_by_name(dev)["Jobs-JobFailureRate-Critical"]

    # Its threshold is the environment's percentage
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        dev.config.alarm_thresholds.job_failure_percent,
        "GreaterThanThreshold",
    )
    assert alarm["TreatMissingData"] == "notBreaching"
    # over the worker's job metrics, failures taken by error code
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    codes = set()
    for metric in metrics.values():
        stat = metric.get("MetricStat")
        if stat:
            assert stat["Metric"]["Namespace"] == names.NAMESPACE
            dimensions = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
            assert dimensions["service"] == names.WORKER_SERVICE
            if names.ERROR_CODE in dimensions:
                codes.add(dimensions[names.ERROR_CODE])
    assert codes == {"provider_unavailable", "internal_error"}
    [expression] = [m["Expression"] for m in metrics.values() if "Expression" in m]
    assert "succeeded" in expression
    assert "failed" in expression


def test_the_model_check_alarms_notify_the_alarm_topic(dev: Synth) -> None:
    check = dev.stack.model_check
    for alarm in (check.attention_alarm, check.model_not_found_alarm, check.check_failed_alarm):
        assert dev.resource(alarm)["Properties"]["AlarmActions"] == [_topic_ref(dev)]


def test_the_alarm_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use_and_tls_only(dev: Synth) -> None:
    topic = dev.resource(dev.stack.alarm_topic.topic)["Properties"]
    key = dev.resource(dev.stack.alarm_topic.key)["Properties"]

    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.alarm_topic.key), "Arn"]}
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        s
        for s in key["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert [sorted(s["Action"]) for s in cloudwatch] == [["kms:Decrypt", "kms:GenerateDataKey*"]]
    dev.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )
    # dev sets no alarm e-mail: no subscription
    dev.template.resource_count_is("AWS::SNS::Subscription", 0)


def test_an_environments_alarm_email_is_subscribed_to_the_topic() -> None:
    # Given an environment with an alarm e-mail
    config = environment_config({"ops": {**ENVIRONMENTS["prod"], "alarmEmail": "ops@example.com"}}, "ops")

    # When its alarm topic is built
    stack = Stack(App(), "Topic")
    AlarmTopic(stack, "AlarmTopic", config=config)

    # Then the address is subscribed by e-mail
    Template.from_stack(stack).has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_saved_queries_cover_a_jobs_trail_failures_latency_usage_and_the_slowest_jobs(dev: Synth) -> None:
    definitions = {
        r["Properties"]["Name"]: r["Properties"]
        for r in _resources(dev, "AWS::Logs::QueryDefinition").values()
    }
    prefix = f"{dev.stack.stack_name}/"
    api_group = {"Ref": dev.logical_id(dev.stack.api.lambda_function.log_group)}
    worker_group = {"Ref": dev.logical_id(dev.stack.worker.lambda_function.log_group)}

    # One job's whole trail across the api and the worker, by job id
    trail = definitions[prefix + "job-trail"]
    assert {json.dumps(api_group), json.dumps(worker_group)} <= {
        json.dumps(g) for g in trail["LogGroupNames"]
    }
    assert 'filter job_id = "PASTE-JOB-ID"' in trail["QueryString"]
    # failures by code
    failures = definitions[prefix + "failures-by-code"]
    assert "stats count(*) as failures by code" in failures["QueryString"]
    # latency percentiles by provider and job type, from the EMF fields
    latency = definitions[prefix + "latency-by-provider-and-job-type"]["QueryString"]
    assert f"pct({names.PROVIDER_LATENCY}, 95)" in latency
    assert "by provider, job_type" in latency
    # BYOK versus system usage, jobs and tokens
    usage = definitions[prefix + "byok-versus-system"]
    assert "by credential, provider" in usage["QueryString"]
    assert json.dumps(api_group) in {json.dumps(g) for g in usage["LogGroupNames"]}
    # the slowest jobs
    assert f"sort {names.TIME_TO_TERMINAL} desc" in definitions[prefix + "slowest-jobs"]["QueryString"]
    # and every query reads at least one of the stack's log groups
    for name, definition in definitions.items():
        assert definition["LogGroupNames"], name


def test_the_dashboard_shows_the_job_metrics_and_each_part_of_the_flow(dev: Synth) -> None:
    [dashboard] = _resources(dev, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    for metric in (
        names.JOBS_CREATED,
        names.JOBS_SUCCEEDED,
        names.JOBS_FAILED,
        names.JOBS_RETRIED,
        names.TIME_TO_TERMINAL,
        names.PROVIDER_LATENCY,
        names.INPUT_TOKENS,
        names.OUTPUT_TOKENS,
    ):
        assert f"{metric}" in body, metric
    for part in ("REST API", "api Lambda", "worker Lambda", "jobs queue", "Dead-Letter", "jobs table"):
        assert part in body, part


def test_outputs_have_stable_names(dev: Synth) -> None:
    outputs = dev.template.to_json()["Outputs"]

    assert {
        "ApiUrl",
        "ApiKeyId",
        "JobsTableName",
        "JobsQueueUrl",
        "DeadLetterQueueUrl",
        "SystemOpenAiSecretArn",
        "DashboardUrl",
        "AlarmTopicArn",
    } <= set(outputs)
    assert outputs["AlarmTopicArn"]["Value"] == _topic_ref(dev)
    dashboard_id = next(iter(_resources(dev, "AWS::CloudWatch::Dashboard")))
    assert {"Ref": dashboard_id} in outputs["DashboardUrl"]["Value"]["Fn::Join"][1]


def test_stale_jobs_failed_by_the_sweeper_raise_an_alarm(dev: Synth) -> None:
    alarm = _alarms_by_name(dev)["Jobs-StaleJobs-Warning"]

    # The sweeper's JobsFailed (each one a job it found stuck), any in 15 minutes
    metric, statistic, dimensions = _watched(alarm)
    assert (metric, statistic) == (names.JOBS_FAILED, "Sum")
    assert dimensions == [{"Name": "service", "Value": names.SWEEPER_SERVICE}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["AlarmActions"] == [_topic_ref(dev)]


def test_every_runbook_section_an_alarm_names_exists_in_the_operations_guide(dev: Synth) -> None:
    # Given the sections the alarm descriptions send the reader to
    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in guide.splitlines() if line.startswith("#")}
    named = {
        section
        for properties in _alarms_by_name(dev).values()
        for section in re.findall(r"docs/operations\.md '([^']+)'", properties["AlarmDescription"])
    }

    # Then every alarm names one, and each is a heading of docs/operations.md
    assert len(named) >= 7
    assert named - headings == set()


def test_a_jobs_trail_and_failures_include_the_sweepers_lines(dev: Synth) -> None:
    definitions = {
        r["Properties"]["Name"]: r["Properties"]
        for r in _resources(dev, "AWS::Logs::QueryDefinition").values()
    }
    sweeper_group = {"Ref": dev.logical_id(dev.stack.sweeper.lambda_function.log_group)}

    for name in ("job-trail", "failures-by-code"):
        assert sweeper_group in definitions[f"{dev.stack.stack_name}/{name}"]["LogGroupNames"], name
