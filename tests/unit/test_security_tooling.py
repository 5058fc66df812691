"""ruff's security rules (flake8-bandit, `S`) cover the Lambda code, and it passes them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).parent / "ruff"


def test_security_rules_are_selected_and_not_waived_for_functions() -> None:
    # Given the lint configuration
    lint = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]

    # Then S is selected, only S101 (assert) is ignored everywhere, and no per-file waiver reaches functions/
    assert "S" in lint["select"]
    assert [rule for rule in lint.get("ignore", []) if rule.startswith("S")] == ["S101"]
    for pattern, rules in lint.get("per-file-ignores", {}).items():
        if fnmatch("functions/cv_jobs/api/handler.py", pattern):
            assert not [rule for rule in rules if rule.startswith("S")], pattern


def test_the_lambda_code_passes_the_security_rules() -> None:
    result = subprocess.run(  # noqa: S603 - the project's own pinned ruff on its own code
        [str(RUFF), "check", "--select", "S", "--ignore", "S101", "--no-cache", "functions"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert "All checks passed" in result.stdout
