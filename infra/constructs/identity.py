"""End-user identity, where cdk.json turns it on: a Lambda TOKEN authorizer that verifies OIDC JWTs.

Why a Lambda authorizer and not Cognito: the issuer is whatever OpenID Connect provider the
frontend already signs users in with (Auth0, Entra ID, Google, a Cognito pool...). A REST API's
Cognito authorizer accepts only Cognito user pools, and JWT authorizers exist only on HTTP APIs; a
small authorizer verifying the issuer's published keys works with any of them.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from infra.bundling import function_bundle
from infra.config import EnvironmentConfig
from infra.constructs.python_function import PythonFunction

HANDLER = "cv_jobs.identity.authorizer.lambda_handler"
SERVICE_NAME = "cv-ai-jobs-authorizer"
# Its code is cv_jobs.identity, which the other bundles carry too (it is small and shared).
AUTHORIZER = function_bundle("authorizer")
# API Gateway reuses an authorizer's answer for the same token this long (fewer cold starts and
# JWKS fetches); a token is still refused once expired, at the latest this much later.
CACHE_TTL = Duration.minutes(5)


class EndUserIdentity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        identity = config.identity
        if identity is None:
            raise ValueError("EndUserIdentity needs cdk.json identity {issuer, audience}")
        environment = {"OIDC_ISSUER": identity.issuer, "OIDC_AUDIENCE": identity.audience}
        if identity.jwks_uri:
            environment["OIDC_JWKS_URI"] = identity.jwks_uri
        self.lambda_function = PythonFunction(
            self,
            "Lambda",
            config=config,
            bundle=AUTHORIZER,
            handler=HANDLER,
            service_name=SERVICE_NAME,
            description="Verifies end users' OIDC tokens for the job routes (issuer, audience, expiry, keys)",
            timeout=Duration.seconds(10),
            memory_size=256,
            # No AWS permission: it reads the issuer's public keys over HTTPS and nothing else.
            environment=environment,
        )
        self.authorizer = apigw.TokenAuthorizer(
            self,
            "Authorizer",
            handler=self.lambda_function.function,
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=CACHE_TTL,
        )
