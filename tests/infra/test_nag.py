"""cdk-nag AwsSolutions: no open finding, and every acknowledgment is needed and explained."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from aws_cdk import App
from cdk_nag import AwsSolutionsChecks

import infra.nag
from infra.application import create_app
from tests.infra.synth import Synth, cdk_context


def _findings(report: Any) -> list[tuple[str, str, str]]:
    return [
        (violation.severity, violation.rule_name, resource.construct_path)
        for violation in report.violations
        for resource in violation.violating_resources
    ]


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_aws_solutions_checks_report_no_error_or_warning(dev: Synth, prod: Synth, env_name: str) -> None:
    synth = {"dev": dev, "prod": prod}[env_name]

    report = AwsSolutionsChecks().validate_scope(synth.app)

    assert _findings(report) == []
    assert report.success is True


class _RecordingValidations:
    """Stands in for aws_cdk.Validations: records acknowledgments without applying them."""

    recorded: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self, scope: Any) -> None:
        self._path = scope.node.path

    @classmethod
    def of(cls, scope: Any) -> _RecordingValidations:
        return cls(scope)

    def acknowledge(self, *rules: Any) -> None:
        self.recorded.extend((rule.id, self._path, rule.reason) for rule in rules)


@pytest.fixture(scope="module")
def unacknowledged(tmp_path_factory: pytest.TempPathFactory) -> tuple[App, list[tuple[str, str, str]]]:
    """The dev app built with its acknowledgments recorded but not applied (not synthesized)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_RecordingValidations, "recorded", [])
        patch.setattr(infra.nag, "Validations", _RecordingValidations)
        context = cdk_context("dev", **{"aws:cdk:bundling-stacks": []})
        app, _ = create_app(context, outdir=str(tmp_path_factory.mktemp("cdk.out.unacknowledged")))
        return app, _RecordingValidations.recorded


def test_every_acknowledgment_matches_a_real_finding_and_has_a_reason(
    unacknowledged: tuple[App, list[tuple[str, str, str]]],
) -> None:
    # Given the stack without its acknowledgments applied
    app, acknowledgments = unacknowledged

    # When cdk-nag runs on it
    findings = _findings(AwsSolutionsChecks().validate_scope(app))

    # Then each finding is acknowledged on its resource or an ancestor, each acknowledgment
    # covers at least one finding, and says why in a sentence or more
    def covers(ack: tuple[str, str, str], finding: tuple[str, str, str]) -> bool:
        return ack[0] == finding[1] and (finding[2] == ack[1] or finding[2].startswith(ack[1] + "/"))

    assert [finding for finding in findings if not any(covers(ack, finding) for ack in acknowledgments)] == []
    assert [ack for ack in acknowledgments if not any(covers(ack, finding) for finding in findings)] == []
    assert all(len(reason) > 60 for _, _, reason in acknowledgments)
    assert {rule for rule, _, _ in acknowledgments} == {
        "AwsSolutions-IAM5[Resource::*]",  # X-Ray only (test_iam checks that)
        "AwsSolutions-SMG4",
        "AwsSolutions-APIG2",
        "AwsSolutions-APIG3",
        "AwsSolutions-APIG4",
        "AwsSolutions-APIG6",
        "AwsSolutions-COG4",
        "AwsSolutions-DDB3",  # no PITR on the jobs table (CVs) nor the budget counters
    }


def test_synth_fails_on_a_finding_nobody_acknowledged(
    unacknowledged: tuple[App, list[tuple[str, str, str]]],
) -> None:
    app, _ = unacknowledged

    with pytest.raises(RuntimeError, match=r"AwsSolutions-APIG2"):
        app.synth()
