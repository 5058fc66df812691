"""The uv bundler on a small functions/ tree: what it copies, how it fails, what the hash covers."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest

from infra.bundling import API, WORKER, BundleSpec, BundlingError, UvLocalBundling, lambda_code

IMAGE = cdk.DockerImage.from_registry("unused")


@pytest.fixture
def functions_dir(tmp_path: Path) -> Path:
    """A functions/ folder with no third-party requirements (no index is consulted)."""
    root = tmp_path / "functions"
    files = {
        "requirements-api.txt": "# nothing beyond the runtime\n",
        "requirements-worker.txt": "-r requirements-api.txt\n",
        "cv_jobs/__init__.py": "",
        "cv_jobs/api/handler.py": "def lambda_handler(event, context): ...\n",
        "cv_jobs/worker/handler.py": "def lambda_handler(event, context): ...\n",
        "cv_jobs/__pycache__/settings.cpython-311.pyc": "stale",
        "cv_jobs/.mypy_cache/x.json": "{}",
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def _bundle(spec: BundleSpec, functions_dir: Path, output: Path) -> set[str]:
    assert UvLocalBundling(spec, functions_dir).try_bundle(str(output), image=IMAGE) is True
    return {path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file()}


def test_api_bundle_leaves_out_the_worker_and_caches(functions_dir: Path, tmp_path: Path) -> None:
    files = _bundle(API, functions_dir, tmp_path / "api")

    assert files == {"cv_jobs/__init__.py", "cv_jobs/api/handler.py"}


def test_worker_bundle_has_the_whole_package_without_caches(functions_dir: Path, tmp_path: Path) -> None:
    files = _bundle(WORKER, functions_dir, tmp_path / "worker")

    assert files == {"cv_jobs/__init__.py", "cv_jobs/api/handler.py", "cv_jobs/worker/handler.py"}


def test_a_failed_install_stops_the_synth_with_uvs_reason(functions_dir: Path, tmp_path: Path) -> None:
    (functions_dir / "requirements-api.txt").write_text("this is not a requirement!\n", encoding="utf-8")

    with pytest.raises(BundlingError, match=r"(?s)uv could not install .*requirements-api\.txt.*parse"):
        UvLocalBundling(API, functions_dir).try_bundle(str(tmp_path / "out"), image=IMAGE)


def test_a_missing_package_is_an_error_not_an_empty_function(functions_dir: Path, tmp_path: Path) -> None:
    for path in sorted(functions_dir.joinpath("cv_jobs").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    functions_dir.joinpath("cv_jobs").rmdir()

    with pytest.raises(BundlingError, match=r"cv_jobs does not exist"):
        UvLocalBundling(API, functions_dir).try_bundle(str(tmp_path / "out"), image=IMAGE)


def _asset_hashes(functions_dir: Path, outdir: Path) -> dict[str, str]:
    # The hash comes from the sources, so bundling can be skipped to read it.
    cdk.AssetStaging.clear_asset_hash_cache()
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    hashes = {}
    for spec in (API, WORKER):
        location = lambda_code(spec, functions_dir).bind(cdk.Stack(app, spec.name)).s3_location
        assert location is not None
        hashes[spec.name] = location.object_key
    return hashes


@pytest.mark.parametrize(
    ("changed_file", "changes"),
    [
        ("cv_jobs/api/handler.py", {"api", "worker"}),
        ("requirements-api.txt", {"api", "worker"}),  # the worker's requirements include it
        ("cv_jobs/worker/handler.py", {"worker"}),
        ("requirements-worker.txt", {"worker"}),
        ("cv_jobs/__pycache__/settings.cpython-311.pyc", set()),
    ],
)
def test_asset_hash_follows_the_code_and_requirements_in_the_bundle(
    functions_dir: Path, tmp_path: Path, changed_file: str, changes: set[str]
) -> None:
    before = _asset_hashes(functions_dir, tmp_path / "before")

    with (functions_dir / changed_file).open("a", encoding="utf-8") as file:
        file.write("\n# changed\n")
    after = _asset_hashes(functions_dir, tmp_path / "after")

    assert {name for name in before if before[name] != after[name]} == changes
