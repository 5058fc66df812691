"""`make diff|deploy` first runs infra.preflight: without credentials, a region or a bootstrapped
account it stops with one line that says what is missing and how to provide it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from infra.preflight import BOOTSTRAP_PARAMETER, NotReady, caller_identity, check

REPO_ROOT = Path(__file__).resolve().parents[2]


def _preflight(tmp_path: Path, env_name: str = "dev", **variables: str) -> subprocess.CompletedProcess[str]:
    """`python -m infra.preflight` as the Makefile runs it, with no AWS configuration but `variables`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in {"HTTPS_PROXY", "HTTP_PROXY"}
    }
    env.update(
        {
            "HOME": str(tmp_path),
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            **variables,
        }
    )
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "infra.preflight", env_name],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    assert lines[0].startswith("error: ")
    return lines[0]


def test_without_credentials_it_says_how_to_provide_them(tmp_path: Path) -> None:
    # Given a region but no credentials anywhere
    result = _preflight(tmp_path, AWS_REGION="eu-west-1")

    # Then one line names the ways to provide them, not CDK's "Unable to resolve AWS account"
    line = _one_line(result)
    assert "no AWS credentials" in line
    assert "AWS_PROFILE" in line
    assert "AWS_ACCESS_KEY_ID" in line


def test_without_a_region_it_names_the_variable(tmp_path: Path) -> None:
    result = _preflight(tmp_path, AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="example")

    assert "AWS_REGION" in _one_line(result)


def test_an_unknown_profile_is_named(tmp_path: Path) -> None:
    result = _preflight(tmp_path, AWS_PROFILE="no-such-profile")

    assert "'no-such-profile' does not exist" in _one_line(result)


def test_an_unknown_environment_is_named_before_aws_is_asked(tmp_path: Path) -> None:
    result = _preflight(tmp_path, env_name="staging")

    assert "unknown environment 'staging' (known: dev, prod)" in _one_line(result)


def test_an_unreachable_sts_fails_within_seconds(tmp_path: Path) -> None:
    # Given credentials and a region, but STS at a closed local port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    result = _preflight(
        tmp_path,
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="example",
        AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{closed}",
    )

    assert "could not reach AWS STS in eu-west-1" in _one_line(result)


@pytest.fixture
def aws_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
        )


def test_a_bootstrapped_account_is_ready(aws_account: boto3.Session) -> None:
    # Given an account where `cdk bootstrap` ran
    aws_account.client("ssm").put_parameter(Name=BOOTSTRAP_PARAMETER, Value="30", Type="String")

    # Then the check names the account, region and caller
    caller = check("dev", session=aws_account)

    assert (caller.account, caller.region) == ("123456789012", "eu-west-1")
    assert caller.arn.startswith("arn:aws:")


def test_an_account_without_the_bootstrap_stack_is_told_to_bootstrap(aws_account: boto3.Session) -> None:
    with pytest.raises(NotReady, match=r"not bootstrapped .*make bootstrap.*aws://123456789012/eu-west-1"):
        check("dev", session=aws_account)


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("ExpiredToken", "have expired"),
        ("InvalidClientTokenId", r"refused the credentials \(InvalidClientTokenId\)"),
    ],
)
def test_expired_or_refused_credentials_are_told_apart(code: str, says: str) -> None:
    # Given STS answering with `code`
    sts = boto3.client("sts", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", service_error_code=code, http_status_code=403)

        # Then the line says which it is
        with pytest.raises(NotReady, match=says):
            caller_identity(sts, "eu-west-1")
