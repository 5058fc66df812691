"""The jobs table, the queue and its DLQ, the BYOK key and the system secret."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.infra.synth import Synth, as_list


def test_jobs_table_is_on_demand_keyed_by_job_id_with_ttl_and_no_backup_window(dev: Synth) -> None:
    table = dev.resource(dev.stack.jobs_table.table)

    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [{"AttributeName": "job_id", "KeyType": "HASH"}]
    # status and created_at: the keys of the sweeper's status index (tests/infra/test_sweeper.py).
    assert properties["AttributeDefinitions"] == [
        {"AttributeName": "job_id", "AttributeType": "S"},
        {"AttributeName": "status", "AttributeType": "S"},
        {"AttributeName": "created_at", "AttributeType": "S"},
    ]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    # CVs are erased at every final state; a 35-day restore window would keep them (docs/security.md).
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is False
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert "TableName" not in properties


def test_dev_data_is_disposable_and_prod_data_is_retained(dev: Synth, prod: Synth) -> None:
    dev_table = dev.resource(dev.stack.jobs_table.table)
    prod_table = prod.resource(prod.stack.jobs_table.table)

    assert dev_table["DeletionPolicy"] == "Delete"
    assert prod_table["DeletionPolicy"] == "Retain"
    assert prod_table["Properties"]["DeletionProtectionEnabled"] is True
    assert prod.resource(prod.stack.system_secret.secret)["DeletionPolicy"] == "Retain"


def test_queues_are_encrypted_and_the_dlq_catches_poison_messages(dev: Synth) -> None:
    queue = dev.resource(dev.stack.jobs_queue.queue)["Properties"]
    dlq = dev.resource(dev.stack.jobs_queue.dead_letter_queue)["Properties"]

    assert queue["SqsManagedSseEnabled"] is True
    assert dlq["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {
            "Fn::GetAtt": [dev.logical_id(dev.stack.jobs_queue.dead_letter_queue), "Arn"]
        },
        "maxReceiveCount": dev.config.max_receive_count,
    }
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert "QueueName" not in queue
    assert "QueueName" not in dlq


def test_queue_visibility_timeout_is_at_least_six_worker_timeouts(dev: Synth) -> None:
    queue = dev.resource(dev.stack.jobs_queue.queue)["Properties"]
    worker = dev.resource(dev.stack.worker.function)["Properties"]

    assert worker["Timeout"] == dev.config.worker_timeout_seconds
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]


def test_both_queues_refuse_requests_without_tls(dev: Synth) -> None:
    for queue in (dev.stack.jobs_queue.queue, dev.stack.jobs_queue.dead_letter_queue):
        dev.template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": dev.logical_id(queue)}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "sqs:*",
                                    "Principal": {"AWS": "*"},
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


def test_byok_key_rotates(dev: Synth) -> None:
    key = dev.resource(dev.stack.byok_key.key)["Properties"]

    assert key["EnableKeyRotation"] is True
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert key["KeyUsage"] == "ENCRYPT_DECRYPT"
    # Who may use it is the key policy's business: tests/infra/test_key_policy.py.


def test_system_secret_is_created_without_any_value(dev: Synth) -> None:
    secret = dev.resource(dev.stack.system_secret.secret)["Properties"]

    assert "SecretString" not in secret
    assert "GenerateSecretString" not in secret
    assert "Name" not in secret
    assert "put-secret-value" in secret["Description"]


def test_no_physical_names_are_hard_coded(dev: Synth) -> None:
    name_properties = {"TableName", "QueueName", "FunctionName", "RoleName", "LogGroupName", "Name"}
    resources = dev.template.to_json()["Resources"]

    # A literal string is a hard-coded name; a reference to another resource's name is fine.
    literal_names = {
        (logical_id, prop): value
        for logical_id, resource in resources.items()
        for prop, value in resource.get("Properties", {}).items()
        if prop in name_properties and isinstance(value, str)
    }

    # A REST API's name is only a console label (not unique); it is derived from the stack name.
    [rest_api_id] = dev.template.find_resources("AWS::ApiGateway::RestApi")
    # So are the saved Logs Insights queries' names: the stack name is their folder in the console.
    query_names = {
        key: value
        for key, value in literal_names.items()
        if resources[key[0]]["Type"] == "AWS::Logs::QueryDefinition"
    }
    assert query_names
    assert all(value.startswith("CvAiJobs-dev/") for value in query_names.values())
    assert literal_names == {(rest_api_id, "Name"): "CvAiJobs-dev", **query_names}


def test_stack_outputs_have_stable_ids(dev: Synth) -> None:
    outputs = dev.template.find_outputs("*")

    assert set(outputs) == {
        "ApiUrl",
        "ApiKeyId",
        "JobsTableName",
        "JobsQueueUrl",
        "DeadLetterQueueUrl",
        "SystemOpenAiSecretArn",
        "DashboardUrl",
        "AlarmTopicArn",
    }
    assert outputs["JobsTableName"]["Value"] == {"Ref": dev.logical_id(dev.stack.jobs_table.table)}
    assert outputs["SystemOpenAiSecretArn"]["Value"] == {
        "Ref": dev.logical_id(dev.stack.system_secret.secret)
    }
    assert as_list(outputs["ApiKeyId"]["Value"]) == [{"Ref": dev.logical_id(dev.stack.api.api_key)}]
