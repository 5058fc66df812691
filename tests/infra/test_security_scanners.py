"""Independent checkers on the synthesized templates: cfn-lint and checkov report nothing beyond the
findings scanner_findings.py accepts with a reason, and every accepted finding still occurs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.scanner_findings import CFN_LINT_ACCEPTED, CHECKOV_ACCEPTED
from tests.infra.synth import Synth

REPO_ROOT = Path(__file__).resolve().parents[2]
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
# Installed by `make setup` into its own environment (requirements-checkov.txt).
CHECKOV = REPO_ROOT / ".venv" / "checkov" / "bin" / "checkov"


def _templates(*synths: Synth) -> list[str]:
    return [str(synth.outdir / f"{synth.stack.stack_name}.template.json") for synth in synths]


def test_cfn_lint_reports_only_accepted_findings(dev: Synth, prod: Synth) -> None:
    # When cfn-lint checks both environments' templates
    result = subprocess.run(  # noqa: S603 - the project's own pinned tools on its own templates
        [str(CFN_LINT), "--format", "json", *_templates(dev, prod)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")

    # Then every finding is one we accept, and each accepted rule still fires
    rules = {finding["Rule"]["Id"] for finding in findings}
    assert rules - set(CFN_LINT_ACCEPTED) == set(), [
        f for f in findings if f["Rule"]["Id"] not in CFN_LINT_ACCEPTED
    ]
    assert set(CFN_LINT_ACCEPTED) - rules == set(), "stale entries in CFN_LINT_ACCEPTED"
    assert not any(finding["Level"] == "Error" for finding in findings)


def test_checkov_reports_only_accepted_findings(dev: Synth, prod: Synth) -> None:
    if not CHECKOV.is_file():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make setup`")
    # When checkov checks both environments' templates
    result = subprocess.run(  # noqa: S603 - the project's own pinned tools on its own templates
        [str(CHECKOV), "--framework", "cloudformation", "--quiet", "--compact", "--output", "json",
         *[arg for template in _templates(dev, prod) for arg in ("-f", template)]],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [check for report in reports for check in report["results"]["failed_checks"]]

    # Then it did check the templates, every failed check is accepted, and each accepted one still fails
    assert sum(report["summary"]["passed"] for report in reports) > 50
    unexplained = sorted(
        {(c["check_id"], c["resource"]) for c in failed if c["check_id"] not in CHECKOV_ACCEPTED}
    )
    assert unexplained == []
    assert set(CHECKOV_ACCEPTED) - {check["check_id"] for check in failed} == set(), "stale entries"


def test_every_accepted_finding_says_why() -> None:
    for reason in [*CFN_LINT_ACCEPTED.values(), *CHECKOV_ACCEPTED.values()]:
        assert len(reason) > 80
