"""authorizer Lambda: API Gateway TOKEN authorizer that verifies an end user's OIDC JWT.

The token (`Authorization: Bearer <jwt>`) must be signed by a key the issuer publishes (JWKS),
name this environment's issuer and audience, carry a `sub`, and be within its validity (a minute of
clock skew allowed). The answer allows every method of the API for this user (API Gateway caches it
per token), and hands the `sub` to the api function in `requestContext.authorizer`, where
cv_jobs.ownership reads it. Anything else is API Gateway's 401: the reason is logged, never the token.
"""

from __future__ import annotations

import json
import os
import urllib.request
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jwt
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, field_validator

from cv_jobs.observability import PublicError, logger
from cv_jobs.settings import _FromEnv

# Asymmetric algorithms only: a shared-secret (HS*) token could be forged by anyone holding the
# secret, and "none" is never acceptable.
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
CLOCK_SKEW_SECONDS = 60
UNAUTHORIZED = "Unauthorized"  # the exact text that makes API Gateway answer 401


class IdentitySettings(_FromEnv):
    issuer: str = Field(alias="OIDC_ISSUER", min_length=1)
    audience: str = Field(alias="OIDC_AUDIENCE", min_length=1)
    jwks_uri: str | None = Field(alias="OIDC_JWKS_URI", default=None)

    @field_validator("issuer", "jwks_uri")
    @classmethod
    def _https_or_loopback(cls, value: str | None) -> str | None:
        # Keys fetched over plain HTTP could be swapped on the way; only a local test issuer may.
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
                raise ValueError("must be an https:// URL")
        return value


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TokenVerifier:
    def __init__(self, settings: IdentitySettings) -> None:
        self._settings = settings
        jwks_uri = settings.jwks_uri or _discovered_jwks_uri(settings.issuer)
        # Keys are fetched on first use and cached; an unknown `kid` refetches (key rotation).
        self._keys = jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600, timeout=5)

    def subject(self, token: str) -> str:
        """The verified token's `sub`; raises jwt.PyJWTError for anything else."""
        signing_key = self._keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=self._settings.audience,
            issuer=self._settings.issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise jwt.InvalidTokenError("empty sub")
        return subject


def _discovered_jwks_uri(issuer: str) -> str:
    """The issuer's JWKS address, from its OpenID discovery document (once per cold start)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the issuer is https (or loopback)
        uri = str(json.load(response)["jwks_uri"])
    IdentitySettings._https_or_loopback(uri)
    return uri


def allow_policy(method_arn: str, subject: str) -> dict[str, Any]:
    """Allow every method and path of this API's stage for `subject` (the answer is cached per
    token and reused for the user's other requests)."""
    arn, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0]
    return {
        "principalId": subject,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{arn}/{stage}/*"}
            ],
        },
        "context": {"sub": subject},
    }


@cache
def _verifier() -> TokenVerifier:
    return TokenVerifier(IdentitySettings.from_env(os.environ))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = str(event.get("authorizationToken") or "")
    scheme, _, value = token.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        logger.info("token refused", extra={"reason": "no bearer token"})
        raise PublicError(UNAUTHORIZED)  # API Gateway's contract for a 401
    try:
        subject = _verifier().subject(value.strip())
    except jwt.PyJWTError as error:
        # The error's class says why (expired, wrong audience, bad signature); its text may quote claims.
        logger.info("token refused", extra={"reason": type(error).__name__})
        raise PublicError(UNAUTHORIZED) from None
    return allow_policy(str(event.get("methodArn", "")), subject)
