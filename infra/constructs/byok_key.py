"""The KMS key that seals users' own provider keys (BYOK) on their way through SQS."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import EnvironmentConfig

# Part of every BYOK encryption context: {"purpose": "byok", "job_id": ..., "provider": ...}.
CONTEXT_PURPOSE = "byok"


class ByokKey(Construct):
    """Used for nothing else, so its key policy and grants describe exactly who may seal/unseal.

    The key policy is CDK's default (the account may delegate through IAM); the api role gets
    only kms:Encrypt and the worker role only kms:Decrypt, as identity policies, and both only
    with the encryption context the functions use (docs/architecture.md, "Messages").
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Seals BYOK provider keys in SQS message attributes, bound to their job",
            key_spec=kms.KeySpec.SYMMETRIC_DEFAULT,
            key_usage=kms.KeyUsage.ENCRYPT_DECRYPT,
            enable_key_rotation=True,
            # A sealed key lives only as long as its message, so nothing at rest needs this key
            # once the stack is gone; prod keeps it anyway, like its data.
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )

    def grant_seal(self, role: iam.IRole) -> None:
        """kms:Encrypt, nothing else: whoever seals a key can never unseal it."""
        self._grant(role, "kms:Encrypt")

    def grant_unseal(self, role: iam.IRole) -> None:
        """kms:Decrypt, nothing else."""
        self._grant(role, "kms:Decrypt")

    def _grant(self, role: iam.IRole, action: str) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[action],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:EncryptionContext:purpose": CONTEXT_PURPOSE}},
            )
        )
