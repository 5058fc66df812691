"""Acknowledging cdk-nag findings (cdk-nag 3 reads CDK's native Validations acknowledgments)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept one finding on `scope` and its children; `rule_id` may name one finding:
    `AwsSolutions-IAM5[Resource::*]`."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
