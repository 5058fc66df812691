"""Infra-test fixtures: the dev stack synthesized once per session, with its real bundles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# jsii needs a supported Node; the repository pins one in node_modules (package.json).
_PINNED_NODE = Path(__file__).resolve().parents[2] / "node_modules" / "node" / "bin" / "node"
if _PINNED_NODE.is_file():
    os.environ.setdefault("JSII_NODE", str(_PINNED_NODE))

from tests.infra.synth import Synth, synthesize  # noqa: E402 - after JSII_NODE is set


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The dev stack as `cdk synth -c env=dev` builds it, bundles included (uv, no Docker)."""
    return synthesize("dev", tmp_path_factory.mktemp("cdk.out.dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The prod stack, without bundling (its bundles are the same as dev's)."""
    return synthesize("prod", tmp_path_factory.mktemp("cdk.out.prod"), bundle=False)
