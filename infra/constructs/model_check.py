"""Warning before a model retires: a daily Lambda that asks the providers about every model the
environment configures, and the alarms an operator sees.

- ModelsNeedingAttention: the check found a configured model deprecated, unknown to its provider or
  within 90 days of its shutdown (the log line names provider, model, date and environment).
- ModelNotFound: jobs are failing right now because the provider does not know the model.
- the check itself failed (its Lambda errors), so the first alarm would stay silent.

Alarm actions go to `alarm_topic` when the stack has one; without it the alarms exist on their own.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.bundling import MODEL_CHECK
from infra.config import EnvironmentConfig
from infra.constructs.python_function import METRICS_NAMESPACE, PythonFunction
from infra.function_settings import model_variables

HANDLER = "cv_jobs.model_check.handler.lambda_handler"
SERVICE_NAME = "cv-ai-jobs-model-check"
# Powertools publishes each function's metrics with its service name as the one dimension.
WORKER_SERVICE_NAME = "cv-ai-jobs-worker"
# Days before a shutdown from which a configured model needs attention.
WARNING_DAYS = 90


class ModelCheck(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        system_secret: secretsmanager.ISecret,
        alarm_topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.lambda_function = PythonFunction(
            self,
            "Lambda",
            config=config,
            bundle=MODEL_CHECK,
            handler=HANDLER,
            service_name=SERVICE_NAME,
            description="Daily: are the configured models still served, and until when?",
            timeout=Duration.seconds(60),
            memory_size=256,
            environment={
                "SYSTEM_OPENAI_SECRET_ARN": system_secret.secret_arn,
                **model_variables(config),
                "MODEL_WARNING_DAYS": str(WARNING_DAYS),
            },
        )
        self.function = self.lambda_function.function
        # The system key, to ask OpenAI: GetSecretValue on that one secret and nothing else.
        self.lambda_function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[system_secret.secret_arn]
            )
        )

        self.schedule = events.Rule(
            self,
            "Daily",
            description="Runs the model check once a day",
            schedule=events.Schedule.cron(minute="0", hour="6"),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )

        self.attention_alarm = cloudwatch.Alarm(
            self,
            "ModelsNeedingAttention",
            alarm_description=(
                "A configured model is deprecated, unknown to its provider or within "
                f"{WARNING_DAYS} days of its shutdown: see the model check's warning log line and "
                "switch the model in cdk.json (README: switching models)."
            ),
            metric=self._metric("ModelsNeedingAttention", SERVICE_NAME, "Maximum", Duration.days(1)),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.model_not_found_alarm = cloudwatch.Alarm(
            self,
            "ModelNotFound",
            alarm_description=(
                "Jobs failed with model_not_found: the provider does not know a configured model. "
                "The worker's 'job failed' log lines name the model and the environment."
            ),
            metric=self._metric("ModelNotFound", WORKER_SERVICE_NAME, "Sum", Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.check_failed_alarm = cloudwatch.Alarm(
            self,
            "CheckFailed",
            alarm_description="The daily model check failed: models are not being watched.",
            metric=self.function.metric_errors(period=Duration.days(1), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if alarm_topic is not None:
            for alarm in (self.attention_alarm, self.model_not_found_alarm, self.check_failed_alarm):
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(alarm_topic))

    @staticmethod
    def _metric(name: str, service: str, statistic: str, period: Duration) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"service": service},
            statistic=statistic,
            period=period,
        )
