"""The Lambda bundles built by the uv bundler (no Docker): Lambda-platform wheels + cv_jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.synth import Synth

PYDANTIC_CORE = "pydantic_core/_pydantic_core.cpython-314-aarch64-linux-gnu.so"


def _asset(synth: Synth, name: str) -> Path:
    function = getattr(synth.stack, name).function
    metadata = synth.resource(function)["Metadata"]
    return synth.outdir / metadata["aws:asset:path"]


def test_api_bundle_has_its_runtime_dependencies_for_arm64_python_3_14(dev: Synth) -> None:
    asset = _asset(dev, "api")

    assert (asset / "aws_lambda_powertools").is_dir()
    assert (asset / "pydantic").is_dir()
    assert (asset / PYDANTIC_CORE).is_file()


def test_api_bundle_carries_no_llm_sdk_and_no_worker_code(dev: Synth) -> None:
    asset = _asset(dev, "api")

    assert not (asset / "openai").exists()
    assert not (asset / "httpx").exists()
    assert not (asset / "cv_jobs" / "worker").exists()


def test_api_bundle_has_the_api_handler(dev: Synth) -> None:
    assert (_asset(dev, "api") / "cv_jobs" / "api" / "handler.py").is_file()


def test_worker_bundle_has_the_llm_sdks_and_the_worker_handler(dev: Synth) -> None:
    asset = _asset(dev, "worker")

    assert (asset / "openai").is_dir()
    assert (asset / "httpx").is_dir()
    assert (asset / PYDANTIC_CORE).is_file()
    assert (asset / "cv_jobs" / "worker" / "handler.py").is_file()


@pytest.mark.parametrize("name", ["api", "worker"])
def test_bundles_hold_no_caches_or_host_scripts(dev: Synth, name: str) -> None:
    asset = _asset(dev, name)

    assert list(asset.rglob("__pycache__")) == []
    assert list(asset.rglob("*.pyc")) == []
    assert not (asset / "bin").exists()
    assert not (asset / ".lock").exists()
    # Every compiled extension was built for Lambda's platform, none for the host.
    extensions = [path.name for path in asset.rglob("*.so")]
    assert extensions
    assert [name for name in extensions if "x86_64" in name or "darwin" in name] == []


def test_api_and_worker_assets_are_distinct(dev: Synth) -> None:
    assert _asset(dev, "api") != _asset(dev, "worker")
