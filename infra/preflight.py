"""Before `make diff` / `make deploy`: the environment's settings, AWS credentials, a region and a
bootstrapped account, checked in a few seconds. What is missing is said in one line with how to
provide it, instead of the CDK CLI's "Unable to resolve AWS account to use".

    python -m infra.preflight ENV      exit 0: ready (one line: account, region, caller); 1: not
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)

from infra.config import ConfigError, environment_config_from_file

TIMEOUT_SECONDS = 5
# The CDK's default bootstrap qualifier; `cdk bootstrap` writes this parameter.
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AccessDenied"}
_HOW_TO_SET = (
    "set AWS_PROFILE=<profile> (after `aws configure sso` or `aws configure`), or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)"
)


class NotReady(Exception):
    """What is missing, as the one line the operator reads."""


@dataclass(frozen=True)
class Caller:
    account: str
    region: str
    arn: str


def check(env_name: str, session: Any = None) -> Caller:
    """The caller the deploy would run as; NotReady with the one line to print otherwise."""
    try:
        environment_config_from_file(env_name)
    except ConfigError as error:
        raise NotReady(str(error)) from None
    try:
        session = session or boto3.Session()
    except ProfileNotFound as error:
        raise NotReady(
            f"AWS profile {error.kwargs.get('profile')!r} does not exist: `aws configure list-profiles` "
            "lists yours; set AWS_PROFILE to one of them"
        ) from None
    # The CDK CLI reads AWS_REGION as well as boto3's AWS_DEFAULT_REGION and the profile's region.
    region = session.region_name or os.environ.get("AWS_REGION")
    if not region:
        raise NotReady(
            "no AWS region: set AWS_REGION (for example `AWS_REGION=eu-west-1 make deploy ENV=dev`) or a "
            "region in your profile"
        )
    try:
        credentials = session.get_credentials()
    except (SSOError, TokenRetrievalError):
        raise NotReady(_sso_expired(session)) from None
    if credentials is None:
        raise NotReady(f"no AWS credentials found: {_HOW_TO_SET}")
    config = Config(
        connect_timeout=TIMEOUT_SECONDS,
        read_timeout=TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1},
    )
    caller = caller_identity(session.client("sts", region_name=region, config=config), region, session)
    bootstrapped(session.client("ssm", region_name=region, config=config), caller)
    return caller


def caller_identity(sts: Any, region: str, session: Any = None) -> Caller:
    try:
        identity = sts.get_caller_identity()
    except (SSOError, TokenRetrievalError):
        raise NotReady(_sso_expired(session)) from None
    except NoCredentialsError:
        raise NotReady(f"no AWS credentials found: {_HOW_TO_SET}") from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _EXPIRED:
            raise NotReady(
                "the AWS credentials have expired: renew them (`aws sso login` for an SSO profile) and retry"
            ) from None
        if code in _REJECTED:
            raise NotReady(f"AWS refused the credentials ({code}): check them, {_HOW_TO_SET}") from None
        raise NotReady(f"AWS STS answered {code or 'an error'}: {_HOW_TO_SET}") from None
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError):
        raise NotReady(
            f"could not reach AWS STS in {region} within {TIMEOUT_SECONDS} s: check the network, proxy "
            "(HTTPS_PROXY) or AWS_REGION"
        ) from None
    except BotoCoreError as error:
        raise NotReady(f"AWS credentials could not be used ({type(error).__name__}): {_HOW_TO_SET}") from None
    return Caller(account=identity["Account"], region=region, arn=identity["Arn"])


def bootstrapped(ssm: Any, caller: Caller) -> None:
    """NotReady when the account and region have no CDK bootstrap stack. A caller that may not read
    the parameter is let through: the deploy itself will say."""
    try:
        ssm.get_parameter(Name=BOOTSTRAP_PARAMETER)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
            raise NotReady(
                f"account {caller.account} is not bootstrapped for the CDK in {caller.region}: run "
                f"`make bootstrap` (cdk bootstrap aws://{caller.account}/{caller.region}) once, then retry"
            ) from None
    except (BotoCoreError, ValueError):
        return


def _sso_expired(session: Any) -> str:
    profile = getattr(session, "profile_name", None) or "<profile>"
    return f"the AWS SSO session has expired or never started: run `aws sso login --profile {profile}`"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    env_name = args[0] if args else ""
    try:
        caller = check(env_name)
    except NotReady as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    print(f"AWS account {caller.account}, region {caller.region}, as {caller.arn} (environment {env_name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
