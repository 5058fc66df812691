"""The DynamoDB table of the system path's daily budget counters (cv_jobs.aws.system_budget)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge

PARTITION_KEY = "counter"
TTL_ATTRIBUTE = "ttl"


class SystemBudgetTable(Construct):
    """One item per budget scope and UTC day (`environment#2026-11-26`, `key#<api key id>#…`,
    `user#<sub>#…`) holding a count; items expire two days after their day."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            # Counters that restart every day: nothing to keep when the stack goes.
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.table,
            "AwsSolutions-DDB3",
            "Daily counters that reset every UTC day and expire after two: a restore would bring "
            "back nothing worth having (at worst a day's budget starts again from zero).",
        )

    def grant_spend(self, role: iam.IRole) -> None:
        """Conditional increments only (TransactWriteItems of UpdateItem); no read, scan or delete."""
        self.table.grant(role, "dynamodb:UpdateItem")
