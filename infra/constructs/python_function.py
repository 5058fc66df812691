"""The settings every function of this service shares: runtime, architecture, logs, role."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.bundling import BundleSpec, lambda_code
from infra.config import EnvironmentConfig
from infra.constructs.log_group import retained_log_group
from infra.nag import acknowledge

METRICS_NAMESPACE = "CvAiJobs"


class PythonFunction(Construct):
    """A Python Lambda on arm64 with its own log group and a role that holds only what it is granted.

    The role is explicit (not the AWSLambdaBasicExecutionRole managed policy) so that it can
    write to its own log group and nothing else.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        bundle: BundleSpec,
        handler: str,
        service_name: str,
        description: str,
        timeout: Duration,
        memory_size: int,
        environment: Mapping[str, str],
        reserved_concurrent_executions: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)

        self.log_group = retained_log_group(self, "LogGroup", config)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{service_name}: its own log group plus the grants made in its construct",
        )
        self.log_group.grant_write(self.role)

        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=lambda_code(bundle),
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrent_executions,
            role=self.role,
            log_group=self.log_group,
            # Lambda's own segments only (no tracer SDK is bundled): latency and cold starts
            # per invocation in the X-Ray service map.
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": config.log_level,
                **environment,
            },
        )

        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            (
                "Only the X-Ray statement that active tracing adds (xray:PutTraceSegments, "
                "xray:PutTelemetryRecords): X-Ray supports no resource-level permissions. "
                "tests/infra check that no other statement uses Resource '*'."
            ),
        )
