"""Synthesizing the app the way `cdk synth -c env=<name>` does, for the infra tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.application import create_app
from infra.config import CDK_JSON, EnvironmentConfig
from infra.stack import CvAiJobsStack


def cdk_context(env_name: str | None, **extra: Any) -> dict[str, Any]:
    """cdk.json's context plus what the CLI would add for `-c env=<name>`."""
    context = dict(json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"])
    if env_name is not None:
        context["env"] = env_name
    # The CLI enables this by default; the tests read asset paths from it.
    context["aws:cdk:enable-asset-metadata"] = True
    context.update(extra)
    return context


@dataclass(frozen=True)
class Synth:
    app: App
    stack: CvAiJobsStack
    template: Template
    outdir: Path

    @property
    def config(self) -> EnvironmentConfig:
        return self.stack.config

    def logical_id(self, construct: Any) -> str:
        """Logical id of an L2 construct's CloudFormation resource."""
        return self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))

    def resource(self, construct: Any) -> dict[str, Any]:
        resource: dict[str, Any] = self.template.to_json()["Resources"][self.logical_id(construct)]
        return resource


def synthesize(env_name: str, outdir: Path, *, bundle: bool = True) -> Synth:
    extra: dict[str, Any] = {} if bundle else {"aws:cdk:bundling-stacks": []}
    app, stack = create_app(cdk_context(env_name, **extra), outdir=str(outdir))
    app.synth()
    return Synth(app=app, stack=stack, template=Template.from_stack(stack), outdir=outdir)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_of_role(synth: Synth, role: Any) -> list[dict[str, Any]]:
    """Every identity-policy statement attached to `role` (inline policies and AWS::IAM::Policy)."""
    role_id = synth.logical_id(role)
    resources = synth.template.to_json()["Resources"]
    statements: list[dict[str, Any]] = []
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in properties.get("Roles", []):
            statements += properties["PolicyDocument"]["Statement"]
    for policy in resources[role_id]["Properties"].get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    return statements


def actions_of(statements: Iterable[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in as_list(statement["Action"])}
