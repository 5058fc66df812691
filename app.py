#!/usr/bin/env python3
"""CDK entry point: `cdk synth|deploy -c env=<name>` (environments live in cdk.json)."""

import sys
from pathlib import Path

# The stack's API routes come from the job-type registry in the Lambda code (functions/cv_jobs), so
# that code must be importable here. This is the one place the CDK app extends sys.path; pytest gets
# the same from pyproject.toml's `pythonpath`.
sys.path.insert(0, str(Path(__file__).resolve().parent / "functions"))

from infra.application import create_app
from infra.config import ConfigError


def main() -> None:
    try:
        app, _ = create_app()
    except ConfigError as error:
        sys.exit(f"error: {error}")
    app.synth()


if __name__ == "__main__":
    main()
