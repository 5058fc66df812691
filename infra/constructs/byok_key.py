"""The KMS key that seals users' own provider keys (BYOK) on their way through SQS."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import EnvironmentConfig

# Every BYOK encryption context is exactly {"purpose": "byok", "job_id", "provider", "expires_at"}
# (cv_jobs.aws.key_sealer; tests/infra/test_key_policy.py keeps the two in step).
CONTEXT_PURPOSE = "byok"
CONTEXT_KEYS = ("purpose", "job_id", "provider", "expires_at")
PROVIDERS = ("openai", "gemini")

# What the account keeps: administering the key, never using it. No Encrypt/Decrypt/ReEncrypt/
# GenerateDataKey and no CreateGrant (a grant would be a way round the policy).
ADMIN_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:ListGrants",
    "kms:RevokeGrant",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)


class ByokKey(Construct):
    """Used for nothing else, so its key policy describes exactly who may seal and unseal.

    The key policy itself (not only IAM) allows kms:Encrypt to the api role alone and kms:Decrypt to
    the worker role alone, each only with a BYOK encryption context; the account root keeps the
    administration of the key but cannot use it, and since the policy does not delegate use to IAM,
    no identity policy elsewhere in the account can grant Encrypt or Decrypt on it either.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
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
            # Replaces CDK's default policy (the account root with kms:*).
            policy=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="AccountAdministersTheKeyButCannotUseIt",
                        principals=[iam.AccountRootPrincipal()],
                        actions=list(ADMIN_ACTIONS),
                        resources=["*"],
                        conditions={"StringEquals": {"kms:CallerAccount": account}},
                    )
                ]
            ),
        )

    def grant_seal(self, role: iam.IRole) -> None:
        """kms:Encrypt, nothing else: whoever seals a key can never unseal it."""
        self._allow(role, "kms:Encrypt", "ApiRoleSealsByokKeys")

    def grant_unseal(self, role: iam.IRole) -> None:
        """kms:Decrypt, nothing else."""
        self._allow(role, "kms:Decrypt", "WorkerRoleUnsealsByokKeys")

    def _allow(self, role: iam.IRole, action: str, sid: str) -> None:
        conditions = byok_context_conditions()
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid, principals=[role], actions=[action], resources=["*"], conditions=conditions
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=[action], resources=[self.key.key_arn], conditions=conditions)
        )


def byok_context_conditions() -> dict[str, dict[str, object]]:
    """The BYOK context and nothing else: purpose byok, a known provider, all four keys present."""
    return {
        "StringEquals": {
            "kms:EncryptionContext:purpose": CONTEXT_PURPOSE,
            "kms:EncryptionContext:provider": list(PROVIDERS),
        },
        "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": list(CONTEXT_KEYS)},
        "Null": {f"kms:EncryptionContext:{key}": "false" for key in CONTEXT_KEYS},
    }
