"""The SQS queue that carries job messages from the api to the worker, with its dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import EnvironmentConfig


class JobsQueue(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        # Poison messages stay for inspection as long as SQS allows (the jobs themselves are
        # failed by the worker or expire with their TTL).
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        # The message body holds only ids; the sealed BYOK key travels as a message attribute,
        # already KMS-encrypted, so SQS-managed encryption at rest is enough (and the api needs
        # no kms:GenerateDataKey, the worker no second kms:Decrypt on another key).
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(config.queue_visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue,
                max_receive_count=config.max_receive_count,
            ),
        )
