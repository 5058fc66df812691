"""app.py: one stack per environment chosen with `-c env=<name>`; unknown names fail clearly."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import Stack

from cv_jobs.job_types import JOB_TYPES
from infra.application import create_app
from infra.config import ConfigError
from tests.infra.synth import Synth, cdk_context

REPO = Path(__file__).resolve().parents[2]
# What the functions bundle but the CDK app (requirements.txt) does not install.
LAMBDA_ONLY_PACKAGES = {"aws_lambda_powertools", "boto3", "botocore", "openai", "httpx"}


def test_unknown_environment_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown environment 'staging' \(known: dev, prod\)"):
        create_app(cdk_context("staging"))


def test_missing_environment_asks_for_one() -> None:
    with pytest.raises(ConfigError, match=r"-c env=<name> \(known: dev, prod\)"):
        create_app(cdk_context(None))


def test_cdk_app_exits_non_zero_with_the_message_for_an_unknown_environment(tmp_path: Path) -> None:
    # Given the context the CDK CLI would pass for `cdk synth -c env=staging`
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(cdk_context("staging")), "CDK_OUTDIR": str(tmp_path)}

    # When the app runs
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    # Then it fails before synthesizing anything, saying what is known
    assert result.returncode != 0
    assert "unknown environment 'staging' (known: dev, prod)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


def test_one_stack_per_environment_named_after_it(dev: Synth, prod: Synth) -> None:
    assert [child.node.id for child in dev.app.node.children if isinstance(child, Stack)] == ["CvAiJobs-dev"]
    assert prod.stack.stack_name == "CvAiJobs-prod"
    assert prod.template.find_resources("AWS::Lambda::Function")


def test_cdk_app_derives_routes_from_the_registry_without_loading_lambda_dependencies(
    tmp_path: Path,
) -> None:
    # Given the context `cdk synth -c env=dev` passes (bundling skipped: it is not under test here)
    context = cdk_context("dev", **{"aws:cdk:bundling-stacks": []})
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}

    # When the app runs as the CDK CLI runs it, listing every module it imports
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "app.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )

    # Then it synthesized a POST route for every registered job type
    assert result.returncode == 0, result.stderr[-2000:]
    template = json.loads((tmp_path / "CvAiJobs-dev.template.json").read_text(encoding="utf-8"))
    path_parts = {
        resource["Properties"]["PathPart"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::Resource"
    }
    assert {job_type.path for job_type in JOB_TYPES} <= path_parts
    # from the registry it imported, and none of the Lambda functions' runtime dependencies
    lines = re.finditer(r"^import time:.*\|\s*(\S+)\s*$", result.stderr, re.MULTILINE)
    imported = {line.group(1).split(".")[0] for line in lines}
    assert "cv_jobs" in imported
    assert not imported & LAMBDA_ONLY_PACKAGES
