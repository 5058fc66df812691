"""What an operator watches: the alarm topic, the alarms on it and the dashboard, built with
cdk-monitoring-constructs (the widgets and alarm plumbing are the library's; the thresholds, the
job metrics and what each alarm tells the reader to do are ours).

Every alarm notifies the topic when it fires; its description names the runbook section of
docs/operations.md. The model-check alarms (model_check.py) use the same topic. Saved Logs Insights
queries: monitoring_queries.py.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from cdk_monitoring_constructs import (
    AlarmFactoryDefaults,
    DashboardRenderingPreference,
    DefaultDashboardFactory,
    ErrorCountThreshold,
    ErrorRateThreshold,
    LatencyThreshold,
    MaxMessageAgeThreshold,
    MaxMessageCountThreshold,
    MetricFactoryDefaults,
    MonitoringFacade,
    SnsAlarmActionStrategy,
)
from constructs import Construct

from cv_jobs import metric_names as names
from infra.config import EnvironmentConfig
from infra.constructs.monitoring_jobs import FIVE_MINUTES, RUNBOOK, job_metric_groups


class AlarmTopic(Construct):
    """The SNS topic every alarm notifies: encrypted with a key of its own that CloudWatch may use
    (alarms cannot publish to a topic under the AWS-managed SNS key), TLS only, and the
    environment's e-mail subscribed when `alarmEmail` is set."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the alarm topic of CV AI Jobs ({config.name})",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        # CloudWatch encrypts the notification it publishes; SNS decrypts it for the subscribers
        # (SNS uses the key through the topic, which the key policy's account statement covers).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"CV AI Jobs {config.name} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))


class Monitoring(Construct):
    """Alarms and the dashboard of one environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        topic: sns.ITopic,
        rest_api: apigw.RestApi,
        api_function: lambda_.IFunction,
        worker_function: lambda_.IFunction,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        prefix = Stack.of(self).stack_name
        thresholds = config.alarm_thresholds
        self.facade = MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=AlarmFactoryDefaults(
                alarm_name_prefix=prefix,
                actions_enabled=True,
                action=SnsAlarmActionStrategy(on_alarm_topic=topic, on_ok_topic=topic),
                # One breaching period fires: each threshold already spans minutes.
                datapoints_to_alarm=1,
                evaluation_periods=1,
            ),
            metric_factory_defaults=MetricFactoryDefaults(namespace=names.NAMESPACE, period=FIVE_MINUTES),
            dashboard_factory=DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=prefix,
                create_dashboard=True,
                create_summary_dashboard=False,
                create_alarm_dashboard=False,
                detail_dashboard_range=Duration.hours(24),
                rendering_preference=DashboardRenderingPreference.INTERACTIVE_ONLY,
            ),
        )
        facade = self.facade
        facade.add_large_header(f"CV AI Jobs - {config.name}")

        facade.monitor_custom(
            alarm_friendly_name="Jobs",
            human_readable_name="Jobs (worker and api job metrics, namespace CvAiJobs)",
            metric_groups=job_metric_groups(thresholds),
        )

        facade.monitor_api_gateway(
            api=rest_api,
            api_stage=config.name,
            alarm_friendly_name="Api",
            human_readable_name="REST API",
            add5_xx_fault_rate_alarm={
                "Critical": ErrorRateThreshold(
                    max_error_rate=thresholds.api_5xx_percent / 100,
                    period=FIVE_MINUTES,
                    alarm_description_override=(
                        f"More than {thresholds.api_5xx_percent}% of API requests answered 5XX in 5 minutes. "
                        "Run the saved query 'api-5xx' for request ids, then 'request-trail' for the api "
                        f"lines; see {RUNBOOK} 'Api5XXRate'."
                    ),
                )
            },
            add_latency_p95_alarm={
                "Warning": LatencyThreshold(
                    max_latency=Duration.millis(thresholds.api_p95_ms),
                    period=FIVE_MINUTES,
                    alarm_description_override=(
                        f"API p95 latency above {thresholds.api_p95_ms} ms for 5 minutes. Check the "
                        "dashboard's api Lambda duration and DynamoDB/SQS/KMS latency; "
                        f"see {RUNBOOK} 'ApiLatencyP95'."
                    ),
                )
            },
        )
        facade.monitor_lambda_function(
            lambda_function=api_function, alarm_friendly_name="ApiFunction", human_readable_name="api Lambda"
        )
        facade.monitor_lambda_function(
            lambda_function=worker_function,
            alarm_friendly_name="Worker",
            human_readable_name="worker Lambda",
            add_fault_count_alarm={
                "Critical": ErrorCountThreshold(
                    max_error_count=thresholds.worker_errors,
                    period=FIVE_MINUTES,
                    alarm_description_override=(
                        "The worker Lambda crashed or timed out (invocation errors, not failed jobs). "
                        "Run the saved query 'worker-errors'; see "
                        f"{RUNBOOK} 'WorkerErrors'."
                    ),
                )
            },
            add_throttles_count_alarm={
                "Warning": ErrorCountThreshold(
                    max_error_count=0,
                    period=FIVE_MINUTES,
                    alarm_description_override=(
                        "The worker Lambda was throttled: the account's or its reserved concurrency is "
                        f"below workerMaxConcurrency. See {RUNBOOK} 'Tuning concurrency and throttles'."
                    ),
                )
            },
        )
        facade.monitor_sqs_queue_with_dlq(
            queue=queue,
            dead_letter_queue=dead_letter_queue,
            alarm_friendly_name="JobsQueue",
            human_readable_name="jobs queue",
            add_queue_max_message_age_alarm={
                "Warning": MaxMessageAgeThreshold(
                    max_age_in_seconds=thresholds.oldest_message_seconds,
                    period=FIVE_MINUTES,
                    alarm_description_override=(
                        f"A job message has waited over {thresholds.oldest_message_seconds} s in the jobs "
                        "queue: the worker is not keeping up or not consuming. See "
                        f"{RUNBOOK} 'JobsQueueOldestMessage'."
                    ),
                )
            },
            add_dead_letter_queue_max_size_alarm={
                "Critical": MaxMessageCountThreshold(
                    max_message_count=0,
                    period=FIVE_MINUTES,
                    alarm_description_override=(
                        "Messages in the DLQ: the worker could not read them or crashed on every "
                        f"delivery. Read them and redrive or delete; see {RUNBOOK} 'DeadLetterQueueNotEmpty'."
                    ),
                )
            },
        )
        facade.monitor_dynamo_table(table=table, human_readable_name="jobs table")

    @property
    def dashboard(self) -> cloudwatch.Dashboard:
        dashboard = self.facade.created_dashboard()
        if dashboard is None:  # create_dashboard=True above
            raise RuntimeError("the monitoring facade created no dashboard")
        return dashboard

    @property
    def dashboard_url(self) -> str:
        return (
            f"https://{Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region={Aws.REGION}"
            f"#dashboards:name={self.dashboard.dashboard_name}"
        )
