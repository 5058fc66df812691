"""Builds the CDK app for one environment; `app.py` and the infra tests both start here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import environment_config
from infra.stack import CvAiJobsStack, stack_id


def create_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None
) -> tuple[App, CvAiJobsStack]:
    """The app with one stack for the environment named by the `env` context value.

    Raises ConfigError (listing the known environments) for a missing or unknown name. With
    `context=None` the CDK CLI's context (cdk.json and `-c` values) is used.
    """
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    config = environment_config(app.node.try_get_context("environments"), app.node.try_get_context("env"))
    stack = CvAiJobsStack(app, stack_id(config), config=config)
    # Findings fail the synth; each accepted one is acknowledged next to its cause, with a reason.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
