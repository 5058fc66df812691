"""The stale-job sweeper: a small Lambda on a schedule that fails every job no delivery of its message
can end any more (cv_jobs/sweeper/sweep.py says which), so every job reaches a terminal state within
a bound (docs/reliability.md), whatever was lost on the way.

It reads the jobs table's `by_status` index and writes conditional updates of existing records:
nothing else. Its own alarm fires when it fails, since a silent sweeper would let jobs sit open until
their TTL.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from cv_jobs.aws.open_jobs import STATUS_INDEX
from infra.bundling import SWEEPER
from infra.config import EnvironmentConfig
from infra.constructs.python_function import PythonFunction
from infra.function_settings import sweeper_variables

HANDLER = "cv_jobs.sweeper.handler.lambda_handler"
SERVICE_NAME = "cv-ai-jobs-sweeper"


class Sweeper(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        table: dynamodb.ITable,
        alarm_topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.lambda_function = PythonFunction(
            self,
            "Lambda",
            config=config,
            bundle=SWEEPER,
            handler=HANDLER,
            service_name=SERVICE_NAME,
            description="Every few minutes: fails jobs that no delivery can end any more (job_stalled)",
            timeout=Duration.seconds(60),
            memory_size=256,
            environment={"JOBS_TABLE_NAME": table.table_name, **sweeper_variables(config)},
        )
        self.function = self.lambda_function.function
        role = self.lambda_function.role
        # Query the status index; fail a record with a conditional update. Nothing else.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"], resources=[f"{table.table_arn}/index/{STATUS_INDEX}"]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:UpdateItem"], resources=[table.table_arn])
        )

        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Runs the stale-job sweeper",
            schedule=events.Schedule.rate(Duration.minutes(config.sweep_interval_minutes)),
            # A missed run is made up by the next one a few minutes later.
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        self.failed_alarm = cloudwatch.Alarm(
            self,
            "SweeperFailed",
            alarm_description=(
                "The stale-job sweeper failed: jobs whose message was lost stay open until their TTL. "
                "See the sweeper's log group."
            ),
            metric=self.function.metric_errors(period=Duration.minutes(15), statistic="Sum"),
            threshold=2,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if alarm_topic is not None:
            self.failed_alarm.add_alarm_action(cloudwatch_actions.SnsAction(alarm_topic))
