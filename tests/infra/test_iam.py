"""Least privilege: each function reaches only its own actions on its own resources."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import Synth, actions_of, as_list, statements_of_role

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}


def _role(synth: Synth, name: str) -> Any:
    return getattr(synth.stack, name).lambda_function.role


def _by_resource(synth: Synth, name: str) -> dict[str, set[str]]:
    """Resource (as JSON text) -> actions allowed on it for the function's role."""
    allowed: dict[str, set[str]] = {}
    for statement in statements_of_role(synth, _role(synth, name)):
        assert statement["Effect"] == "Allow"
        # Only KMS statements are conditioned (test_kms_use_is_bound_to_the_byok_purpose).
        assert ("Condition" in statement) == any(a.startswith("kms:") for a in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"]):
            allowed.setdefault(_ref(resource), set()).update(as_list(statement["Action"]))
    return allowed


def _ref(resource: Any) -> str:
    if resource == "*":
        return "*"
    if "Ref" in resource:
        return resource["Ref"]
    return resource["Fn::GetAtt"][0]


def test_api_role_may_put_get_update_jobs_spend_budgets_send_messages_and_only_encrypt(dev: Synth) -> None:
    stack = dev.stack
    assert stack.budget_table is not None  # dev runs the system path

    assert _by_resource(dev, "api") == {
        dev.logical_id(stack.jobs_table.table): {
            "dynamodb:PutItem",
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
        },
        # Conditional increments of the system path's daily counters, nothing else.
        dev.logical_id(stack.budget_table.table): {"dynamodb:UpdateItem"},
        dev.logical_id(stack.jobs_queue.queue): {"sqs:SendMessage"},
        dev.logical_id(stack.byok_key.key): {"kms:Encrypt"},
        dev.logical_id(stack.api.lambda_function.log_group): LOGS,
        "*": XRAY,
    }


def test_worker_role_may_update_jobs_consume_the_queue_only_decrypt_and_read_the_secret(dev: Synth) -> None:
    stack = dev.stack

    assert _by_resource(dev, "worker") == {
        dev.logical_id(stack.jobs_table.table): {"dynamodb:GetItem", "dynamodb:UpdateItem"},
        dev.logical_id(stack.jobs_queue.queue): {
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        },
        dev.logical_id(stack.byok_key.key): {"kms:Decrypt"},
        dev.logical_id(stack.system_secret.secret): {"secretsmanager:GetSecretValue"},
        dev.logical_id(stack.worker.lambda_function.log_group): LOGS,
        "*": XRAY,
    }


def test_only_the_api_seals_and_only_the_worker_unseals(dev: Synth) -> None:
    api = actions_of(statements_of_role(dev, _role(dev, "api")))
    worker = actions_of(statements_of_role(dev, _role(dev, "worker")))

    assert "kms:Encrypt" in api
    assert "kms:Decrypt" not in api
    assert "kms:Decrypt" in worker
    assert "kms:Encrypt" not in worker
    assert not any(action.startswith("kms:GenerateDataKey") or action == "kms:*" for action in api | worker)


@pytest.mark.parametrize("name", ["api", "worker"])
def test_kms_use_is_bound_to_the_byok_purpose(dev: Synth, name: str) -> None:
    kms_statements = [
        statement
        for statement in statements_of_role(dev, _role(dev, name))
        if any(action.startswith("kms:") for action in as_list(statement["Action"]))
    ]

    assert kms_statements
    for statement in kms_statements:
        # The functions' encryption context: purpose byok, job_id, provider and expires_at, no other key.
        assert statement["Condition"] == {
            "StringEquals": {
                "kms:EncryptionContext:purpose": "byok",
                "kms:EncryptionContext:provider": ["openai", "gemini"],
            },
            "ForAllValues:StringEquals": {
                "kms:EncryptionContextKeys": ["purpose", "job_id", "provider", "expires_at"]
            },
            "Null": {
                "kms:EncryptionContext:purpose": "false",
                "kms:EncryptionContext:job_id": "false",
                "kms:EncryptionContext:provider": "false",
                "kms:EncryptionContext:expires_at": "false",
            },
        }


def test_api_has_no_access_to_the_system_secret(dev: Synth) -> None:
    api = actions_of(statements_of_role(dev, _role(dev, "api")))

    assert not any(action.startswith("secretsmanager:") for action in api)


def test_no_role_may_scan_query_or_delete_jobs(dev: Synth) -> None:
    every_action = {
        action
        for policy in dev.template.find_resources("AWS::IAM::Policy").values()
        for action in actions_of(policy["Properties"]["PolicyDocument"]["Statement"])
    }

    dynamodb = {action for action in every_action if action.startswith("dynamodb:")}
    # Query: the sweeper's, on the status index alone (tests/infra/test_sweeper.py).
    assert dynamodb == {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"}
    assert not any("*" in action for action in every_action)


def test_roles_carry_no_managed_policies(dev: Synth) -> None:
    # Not even AWSLambdaBasicExecutionRole: each role writes only to its own log group.
    for role in dev.template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    # api, worker, model check, key check, sweeper
    assert len(dev.template.find_resources("AWS::IAM::Role")) == 5


def test_kms_condition_matches_the_functions_encryption_context() -> None:
    # infra does not import Lambda code; this keeps the IAM condition and the sealer in step.
    from cv_jobs.aws.key_sealer import encryption_context
    from cv_jobs.credentials import Provider
    from infra.constructs.byok_key import CONTEXT_KEYS, CONTEXT_PURPOSE, PROVIDERS

    for provider in Provider:
        context = encryption_context("a-job-id", provider, 1_900_000_000)
        assert context["purpose"] == CONTEXT_PURPOSE
        assert tuple(context) == CONTEXT_KEYS
        assert context["provider"] in PROVIDERS
