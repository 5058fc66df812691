"""One stack per environment: composes the capability constructs and exports what operators need."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.constructs.api import JOB_PATHS, JobsApi
from infra.constructs.byok_key import ByokKey
from infra.constructs.identity import EndUserIdentity
from infra.constructs.jobs_queue import JobsQueue
from infra.constructs.jobs_table import JobsTable
from infra.constructs.key_check import KeyCheck
from infra.constructs.model_check import ModelCheck
from infra.constructs.monitoring import AlarmTopic, Monitoring
from infra.constructs.monitoring_queries import SavedQueries
from infra.constructs.sweeper import Sweeper
from infra.constructs.system_budget_table import SystemBudgetTable
from infra.constructs.system_secret import SystemOpenAiSecret
from infra.constructs.web_acl import ApiWebAcl
from infra.constructs.worker import Worker


def stack_id(config: EnvironmentConfig) -> str:
    return f"CvAiJobs-{config.name}"


class CvAiJobsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        job_paths: Sequence[str] = JOB_PATHS,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"CV AI Jobs ({config.name}): asynchronous AI jobs with bring-your-own-key",
            **kwargs,
        )
        self.config = config

        self.jobs_table = JobsTable(self, "JobsTable", config=config)
        self.jobs_queue = JobsQueue(self, "JobsQueue", config=config)
        self.byok_key = ByokKey(self, "ByokKey", config=config)
        self.system_secret = SystemOpenAiSecret(self, "SystemOpenAiSecret", config=config)

        # Only an environment that spends the system key keeps its daily budgets.
        self.budget_table = (
            SystemBudgetTable(self, "SystemBudgetTable", config=config)
            if config.system_path_enabled
            else None
        )
        self.key_check = KeyCheck(self, "KeyCheck", config=config)
        self.identity = EndUserIdentity(self, "Identity", config=config) if config.identity else None
        self.api = JobsApi(
            self,
            "Api",
            config=config,
            table=self.jobs_table.table,
            queue=self.jobs_queue.queue,
            byok_key=self.byok_key,
            key_check_function=self.key_check.function,
            budget_table=self.budget_table,
            authorizer=self.identity.authorizer if self.identity else None,
            job_paths=job_paths,
        )
        self.web_acl = (
            ApiWebAcl(self, "WebAcl", config=config, stage=self.api.rest_api.deployment_stage)
            if config.waf.enabled
            else None
        )
        self.worker = Worker(
            self,
            "Worker",
            config=config,
            table=self.jobs_table.table,
            queue=self.jobs_queue.queue,
            byok_key=self.byok_key,
            system_secret=self.system_secret.secret,
        )
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", config=config)
        self.model_check = ModelCheck(
            self,
            "ModelCheck",
            config=config,
            system_secret=self.system_secret.secret,
            alarm_topic=self.alarm_topic.topic,
        )
        self.sweeper = Sweeper(
            self, "Sweeper", config=config, table=self.jobs_table.table, alarm_topic=self.alarm_topic.topic
        )
        self._monitoring()

        self._outputs()

    def _monitoring(self) -> None:
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=self.config,
            topic=self.alarm_topic.topic,
            rest_api=self.api.rest_api,
            api_function=self.api.function,
            worker_function=self.worker.function,
            queue=self.jobs_queue.queue,
            dead_letter_queue=self.jobs_queue.dead_letter_queue,
            table=self.jobs_table.table,
        )
        self.saved_queries = SavedQueries(
            self,
            "SavedQueries",
            log_groups={
                "api": self.api.lambda_function.log_group,
                "worker": self.worker.lambda_function.log_group,
                "sweeper": self.sweeper.lambda_function.log_group,
                # The stage's access log group (infra/constructs/api.py).
                "access": self.api.node.find_child("AccessLogs"),  # type: ignore[dict-item]
            },
        )

    def _outputs(self) -> None:
        # Stable ids: scripts and the README refer to these names.
        outputs = {
            "ApiUrl": (self.api.rest_api.url, "Base URL of the REST API (stage included)"),
            "ApiKeyId": (
                self.api.api_key.key_id,
                "API key id; its value: aws apigateway get-api-key --include-value --api-key <id>",
            ),
            "JobsTableName": (self.jobs_table.table.table_name, "DynamoDB jobs table"),
            "JobsQueueUrl": (self.jobs_queue.queue.queue_url, "SQS jobs queue"),
            "DeadLetterQueueUrl": (self.jobs_queue.dead_letter_queue.queue_url, "SQS dead-letter queue"),
            "SystemOpenAiSecretArn": (
                self.system_secret.secret.secret_arn,
                "Secret to put the system OpenAI key into (plain string)",
            ),
            "DashboardUrl": (self.monitoring.dashboard_url, "CloudWatch dashboard of this environment"),
            "AlarmTopicArn": (self.alarm_topic.topic.topic_arn, "SNS topic every alarm notifies"),
        }
        # Every API key after the first (cdk.json apiKeys), by name.
        for name, api_key in list(self.api.api_keys.items())[1:]:
            outputs[f"ApiKeyId{name.replace('-', '')}"] = (api_key.key_id, f"API key id of {name!r}")
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)
