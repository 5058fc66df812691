"""Log groups with the environment's retention and data policy."""

from __future__ import annotations

from typing import cast

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import EnvironmentConfig


def retained_log_group(scope: Construct, construct_id: str, config: EnvironmentConfig) -> logs.LogGroup:
    """A log group kept `logRetentionDays` (validated in config), retained with the data in prod."""
    log_group = logs.LogGroup(
        scope,
        construct_id,
        removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
    )
    # RetentionDays is an enum of names; the config holds the number CloudFormation takes.
    cast(logs.CfnLogGroup, log_group.node.default_child).retention_in_days = config.log_retention_days
    return log_group
