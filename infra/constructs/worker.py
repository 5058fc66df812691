"""The worker Lambda: consumes the jobs queue, unseals BYOK keys, calls the LLM, records results."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import WORKER
from infra.config import EnvironmentConfig
from infra.constructs.byok_key import ByokKey
from infra.constructs.jobs_table import grant_item_actions
from infra.constructs.python_function import PythonFunction
from infra.function_settings import worker_variables

HANDLER = "cv_jobs.worker.handler.lambda_handler"
SERVICE_NAME = "cv-ai-jobs-worker"
# From `make bench` (docs/performance.md): a batch of ten jobs with both provider SDKs loaded peaks
# at about 140 MB, and a job spends nearly all its time waiting on the provider, so the GB-seconds
# of that wait are the worker's cost. 512 MB keeps 3x headroom at half the price of 1024 MB; the
# slower CPU share adds tens of milliseconds of our own work per job.
MEMORY_MB = 512
# Wait up to this long for a batch to fill: ten jobs share one invocation (they run concurrently,
# so a full batch costs about one job's GB-seconds), at the price of at most this much added
# latency on a job that takes the provider seconds to tens of seconds anyway.
BATCHING_WINDOW = Duration.seconds(1)


class Worker(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        table: dynamodb.ITable,
        queue: sqs.IQueue,
        byok_key: ByokKey,
        system_secret: secretsmanager.ISecret,
    ) -> None:
        super().__init__(scope, construct_id)
        self.lambda_function = PythonFunction(
            self,
            "Lambda",
            config=config,
            bundle=WORKER,
            handler=HANDLER,
            service_name=SERVICE_NAME,
            description="Runs queued AI jobs with the user's key (BYOK) or the system key",
            timeout=Duration.seconds(config.worker_timeout_seconds),
            memory_size=MEMORY_MB,
            reserved_concurrent_executions=config.worker_reserved_concurrency,
            environment={
                "JOBS_TABLE_NAME": table.table_name,
                "BYOK_KEY_ARN": byok_key.key.key_arn,
                "SYSTEM_OPENAI_SECRET_ARN": system_secret.secret_arn,
                # Where to time a failed record's return (ChangeMessageVisibility).
                "JOBS_QUEUE_URL": queue.queue_url,
                **worker_variables(config),
            },
        )
        self.function = self.lambda_function.function
        role = self.lambda_function.role

        # Claim and record results: conditional updates of existing records only.
        grant_item_actions(table, role, "dynamodb:GetItem", "dynamodb:UpdateItem")
        # Unseal only; the worker never seals.
        byok_key.grant_unseal(role)
        # GetSecretValue alone (no DescribeSecret or version listing).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[system_secret.secret_arn]
            )
        )

        # A failed record's return is timed by the worker: its backoff, or the rest of a live lease
        # for a duplicate (the event source's consume grant below includes it too).
        queue.grant(role, "sqs:ChangeMessageVisibility")
        # Grants the queue's consume actions to the role.
        self.function.add_event_source(
            event_sources.SqsEventSource(
                queue,
                batch_size=config.worker_batch_size,
                max_batching_window=BATCHING_WINDOW,
                max_concurrency=config.worker_max_concurrency,
                # A failed record is retried alone; the rest of the batch is deleted.
                report_batch_item_failures=True,
            )
        )
