"""The stale-job sweeper in the synthesized template: its schedule, its least-privilege role (query
the status index, update records; nothing else), its environment (the queue's and worker's limits),
its bundle, and the status index on the jobs table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cv_jobs.aws.open_jobs import STATUS_INDEX, STATUS_INDEX_ATTRIBUTES
from tests.infra.synth import Synth, as_list, statements_of_role

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_the_sweeper_runs_every_few_minutes_on_its_own_function(dev: Synth) -> None:
    sweeper = dev.stack.sweeper
    rule = dev.resource(sweeper.schedule)["Properties"]

    assert rule["ScheduleExpression"] == f"rate({dev.config.sweep_interval_minutes} minutes)"
    assert rule["State"] == "ENABLED"
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [dev.logical_id(sweeper.function), "Arn"]}
    function = dev.resource(sweeper.function)["Properties"]
    assert function["Handler"] == "cv_jobs.sweeper.handler.lambda_handler"
    assert (function["Runtime"], function["Architectures"]) == ("python3.14", ["arm64"])


def test_the_sweeper_knows_the_limits_a_delivery_lives_within(dev: Synth) -> None:
    config = dev.config
    env = dev.resource(dev.stack.sweeper.function)["Properties"]["Environment"]["Variables"]

    assert env["JOBS_TABLE_NAME"] == {"Ref": dev.logical_id(dev.stack.jobs_table.table)}
    assert env["MAX_ATTEMPTS"] == str(config.worker_max_attempts)
    assert env["MAX_RECEIVE_COUNT"] == str(config.max_receive_count)
    assert env["QUEUE_VISIBILITY_SECONDS"] == str(config.queue_visibility_timeout_seconds)
    assert env["WORKER_TIMEOUT_SECONDS"] == str(config.worker_timeout_seconds)
    queue = dev.resource(dev.stack.jobs_queue.queue)["Properties"]
    assert queue["VisibilityTimeout"] == config.queue_visibility_timeout_seconds
    assert queue["RedrivePolicy"]["maxReceiveCount"] == config.max_receive_count


def test_the_sweeper_may_query_the_status_index_and_update_jobs_only(dev: Synth) -> None:
    table_id = dev.logical_id(dev.stack.jobs_table.table)
    allowed: dict[str, set[str]] = {}
    for statement in statements_of_role(dev, dev.stack.sweeper.lambda_function.role):
        assert statement["Effect"] == "Allow"
        assert "Condition" not in statement
        for resource in as_list(statement["Resource"]):
            allowed.setdefault(json.dumps(resource, sort_keys=True), set()).update(
                as_list(statement["Action"])
            )

    table_arn = json.dumps({"Fn::GetAtt": [table_id, "Arn"]}, sort_keys=True)
    index_arn = json.dumps(
        {"Fn::Join": ["", [{"Fn::GetAtt": [table_id, "Arn"]}, f"/index/{STATUS_INDEX}"]]}, sort_keys=True
    )
    log_group = json.dumps(
        {"Fn::GetAtt": [dev.logical_id(dev.stack.sweeper.lambda_function.log_group), "Arn"]}, sort_keys=True
    )
    assert allowed == {
        table_arn: {"dynamodb:UpdateItem"},
        index_arn: {"dynamodb:Query"},
        log_group: LOGS,
        '"*"': XRAY,
    }


def test_the_worker_may_time_redeliveries_and_knows_the_queue(dev: Synth) -> None:
    worker = dev.resource(dev.stack.worker.function)["Properties"]["Environment"]["Variables"]
    config = dev.config

    assert worker["JOBS_QUEUE_URL"] == {"Ref": dev.logical_id(dev.stack.jobs_queue.queue)}
    assert worker["MAX_RECEIVE_COUNT"] == str(config.max_receive_count)
    # Every backoff ends before the visibility timeout would bring the message back on its own.
    assert int(worker["RETRY_MAX_SECONDS"]) < config.queue_visibility_timeout_seconds
    actions = {
        action
        for statement in statements_of_role(dev, dev.stack.worker.lambda_function.role)
        for action in as_list(statement["Action"])
    }
    assert "sqs:ChangeMessageVisibility" in actions


def test_the_jobs_table_has_the_status_index_the_sweeper_reads(dev: Synth) -> None:
    table = dev.resource(dev.stack.jobs_table.table)["Properties"]
    [index] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == STATUS_INDEX]

    assert index["KeySchema"] == [
        {"AttributeName": "status", "KeyType": "HASH"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(STATUS_INDEX_ATTRIBUTES),
    }


def test_the_sweeper_bundle_carries_its_code_and_no_other_function(dev: Synth) -> None:
    metadata: dict[str, Any] = dev.resource(dev.stack.sweeper.function)["Metadata"]
    asset = dev.outdir / Path(metadata["aws:asset:path"])

    assert (asset / "cv_jobs" / "sweeper" / "handler.py").is_file()
    assert (asset / "aws_lambda_powertools").is_dir()
    for other in ("api", "worker", "model_check", "key_check"):
        assert not (asset / "cv_jobs" / other).exists(), other
    assert not (asset / "openai").exists()
    assert not (asset / "httpx").exists()
