"""The Secrets Manager secret that holds the system OpenAI key (for jobs sent without BYOK)."""

from __future__ import annotations

from typing import cast

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge


class SystemOpenAiSecret(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=(
                "System OpenAI API key (plain string) used for jobs sent without BYOK headers. "
                "Created empty: operators put the value with aws secretsmanager put-secret-value "
                "--secret-id <SystemOpenAiSecretArn> --secret-string <key>."
            ),
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        # The L2 secret generates a random value by default; a random string is not an OpenAI
        # key, so the secret is created without any value (the worker reports
        # configuration_error until an operator sets it).
        cast(secretsmanager.CfnSecret, self.secret.node.default_child).add_property_deletion_override(
            "GenerateSecretString"
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            (
                "Third-party OpenAI API key: Secrets Manager cannot rotate it (OpenAI has no "
                "rotation API); operators rotate it in the OpenAI console and put the new value."
            ),
        )
