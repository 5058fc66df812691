"""The DynamoDB table that holds one record per job (see DESIGN.md section 4)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from cv_jobs.aws.open_jobs import STATUS_INDEX, STATUS_INDEX_ATTRIBUTES
from infra.config import EnvironmentConfig
from infra.nag import acknowledge

PARTITION_KEY = "job_id"
# Epoch seconds written by the api; DynamoDB deletes expired records (payloads are personal data).
TTL_ATTRIBUTE = "ttl"


def grant_item_actions(table: dynamodb.ITable, role: iam.IRole, *actions: str) -> None:
    """Item actions on the table itself. `table.grant` would add its indexes (`index/*`) too, which
    only the sweeper reads, and only the status index."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=[table.table_arn]))


class JobsTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            # Traffic is bursty and small: no capacity to plan or pay for while idle.
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            # Off on purpose: a backup window would keep every CV for up to 35 days after the job
            # erased it (docs/security.md, "Personal data").
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=False
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
            deletion_protection=config.retain_data,
        )
        # The stale-job sweeper's read: open jobs by status, oldest first, without scanning the table
        # (cv_jobs/aws/open_jobs.py holds the same definition for local mode and tests).
        self.table.add_global_secondary_index(
            index_name=STATUS_INDEX,
            partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="created_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(STATUS_INDEX_ATTRIBUTES),
        )
        acknowledge(
            self.table,
            "AwsSolutions-DDB3",
            "Point-in-time recovery is off: records hold CVs for at most a day (payload erased at "
            "every final state, TTL 24 h) and a restore window would keep them up to 35 days more. "
            "A lost table costs in-flight jobs, which clients submit again.",
        )
