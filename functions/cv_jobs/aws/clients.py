"""boto3 clients with timeouts and retries suited to a Lambda that answers a browser."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
)


def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)


def table(name: str) -> Any:
    return boto3.resource("dynamodb", config=_CONFIG).Table(name)
