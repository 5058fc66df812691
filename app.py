#!/usr/bin/env python3
"""CDK entry point: `cdk synth|deploy -c env=<name>` (environments live in cdk.json)."""

import sys

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
