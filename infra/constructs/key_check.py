"""The key check behind `POST /ai/keys/test` (its route is the api construct's, with the others):
a small function that asks the provider whether a user's key works, synchronously.

Its own function rather than a route of the api function: it needs httpx and outbound calls to the
providers, and the api's bundle and cold start stay free of both (tests/infra/test_bundles.py). It
holds no AWS permission beyond its own log group: no table, queue, KMS key or secret.
"""

from __future__ import annotations

from aws_cdk import Duration
from constructs import Construct

from infra.bundling import KEY_CHECK
from infra.config import EnvironmentConfig
from infra.constructs.python_function import PythonFunction
from infra.function_settings import model_variables

HANDLER = "cv_jobs.key_check.handler.lambda_handler"
SERVICE_NAME = "cv-ai-jobs-key-check"
# The check's own budget for the provider's answers; the function's timeout leaves room for a cold
# start and the answer, and both stay far below API Gateway's 29 s.
CHECK_SECONDS = 6
TIMEOUT_SECONDS = 10


class KeyCheck(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.lambda_function = PythonFunction(
            self,
            "Lambda",
            config=config,
            bundle=KEY_CHECK,
            handler=HANDLER,
            service_name=SERVICE_NAME,
            description="POST /ai/keys/test: does a user's provider key work here (no tokens spent)",
            timeout=Duration.seconds(TIMEOUT_SECONDS),
            memory_size=256,
            environment={
                **model_variables(config),
                "CORS_ALLOWED_ORIGINS": ",".join(config.cors_allowed_origins),
                "KEY_CHECK_TIMEOUT_SECONDS": str(CHECK_SECONDS),
            },
        )
        self.function = self.lambda_function.function
