"""Docker-free bundling of the Lambda code: uv installs Lambda-platform wheels into the asset.

CDK calls `UvLocalBundling.try_bundle` before it would start a Docker container. The bundler
installs the function's pinned requirements as arm64 / CPython 3.14 wheels into the asset
directory (no compilation, so no build toolchain or container is needed) and copies the
`cv_jobs` package next to them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from infra.bundle_pruning import prune, signature

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
PACKAGE = "cv_jobs"

# Must match the Lambda runtime and architecture set in infra/constructs/python_function.py.
PYTHON_VERSION = "3.14"
# The python3.14 runtime runs on Amazon Linux 2023 (glibc 2.34): wheels tagged up to
# manylinux_2_34 (which includes manylinux2014) are loadable there.
PYTHON_PLATFORM = "aarch64-manylinux_2_34"

# Never copied into a bundle nor part of the asset hash: caches and local tooling state.
IGNORED_NAMES = ("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".DS_Store")

# A bundle that Docker would build is never wanted: try_bundle either succeeds or raises. CDK
# still requires an image, so this one is named to explain itself if it is ever pulled.
_UNUSED_IMAGE = cdk.DockerImage.from_registry("cv-ai-jobs/docker-bundling-is-not-used")


# The Powertools utilities a bundle keeps unless its function says it imports fewer.
_ALL_UTILITIES = ("batch", "data_classes", "jmespath_utils", "parser", "typing")


class BundlingError(RuntimeError):
    """The local bundle could not be built; the message says why and how to fix it."""


@dataclass(frozen=True)
class BundleSpec:
    """What goes into one function's asset."""

    name: str
    requirements: str
    # Subpackages of cv_jobs left out of this bundle (the api does not carry the worker).
    excluded_subpackages: tuple[str, ...] = ()
    # Files in functions/ that do not affect this bundle, kept out of its asset hash.
    unrelated_files: tuple[str, ...] = ()
    # The Powertools utilities this function imports; the others are removed (bundle_pruning.py).
    powertools_utilities: tuple[str, ...] = _ALL_UTILITIES

    @property
    def asset_excludes(self) -> list[str]:
        """Globs (relative to functions/) kept out of the asset hash, mirroring the bundle."""
        return [
            *(f"**/{name}" for name in IGNORED_NAMES),
            *(f"{PACKAGE}/{sub}" for sub in self.excluded_subpackages),
            *self.unrelated_files,
        ]


# Each function's own subpackage of cv_jobs: a bundle leaves out the others' (but those it uses).
FUNCTION_PACKAGES = ("api", "worker", "model_check", "key_check", "sweeper")
# Every function's requirements file in functions/: a bundle's asset hash ignores the others'.
REQUIREMENTS = {
    name: f"requirements-{name.replace('_', '-')}.txt" for name in (*FUNCTION_PACKAGES, "authorizer")
}


def function_bundle(
    name: str, *, uses: tuple[str, ...] = (), powertools_utilities: tuple[str, ...] = _ALL_UTILITIES
) -> BundleSpec:
    """The bundle of the function `name` (a key of REQUIREMENTS): its requirements, the shared code
    and its own subpackage, plus the other functions' subpackages it `uses`."""
    return BundleSpec(
        name=name,
        requirements=REQUIREMENTS[name],
        excluded_subpackages=tuple(p for p in FUNCTION_PACKAGES if p != name and p not in uses),
        unrelated_files=tuple(
            file for file in REQUIREMENTS.values() if file not in _requirements_closure(REQUIREMENTS[name])
        ),
        powertools_utilities=powertools_utilities,
    )


def _requirements_closure(requirements: str) -> set[str]:
    """A requirements file and those it includes (`-r other.txt`), transitively."""
    found, todo = set(), [requirements]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for line in (FUNCTIONS_DIR / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("-r "):
                todo.append(line[3:].strip())
    return found


# No batch processing, and validation is Pydantic's own (not Powertools' parser).
API = function_bundle("api", powertools_utilities=("data_classes", "jmespath_utils", "typing"))
# It keeps the api's subpackage, as it always has (a few KB; nothing in the worker imports it).
WORKER = function_bundle("worker", uses=("api",))
# The daily model check: no LLM SDK, neither the api's nor the worker's code.
MODEL_CHECK = function_bundle("model_check")
# POST /ai/keys/test: the model check's lookup and httpx; no LLM SDK, neither the api's nor the
# worker's code.
KEY_CHECK = function_bundle("key_check", uses=("model_check",))
# The stale-job sweeper: the api's packages, none of the functions' code but its own and the shared.
SWEEPER = function_bundle("sweeper")


def _uv_command() -> list[str]:
    """uv from the same environment that runs the CDK app (it is pinned in requirements-dev)."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file():
        return [str(beside)]
    return [sys.executable, "-m", "uv"]


@jsii.implements(cdk.ILocalBundling)
class UvLocalBundling:
    """Builds one function's asset on the host: pinned wheels for the Lambda platform + cv_jobs."""

    def __init__(self, spec: BundleSpec, functions_dir: Path = FUNCTIONS_DIR) -> None:
        self._spec = spec
        self._functions_dir = functions_dir

    # jsii expands the BundlingOptions struct into these keywords; none of them is needed here.
    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **options: Any) -> bool:
        output = Path(output_dir)
        self._install_requirements(output)
        prune(output, self._spec.powertools_utilities)
        self._copy_package(output)
        return True

    def _install_requirements(self, output: Path) -> None:
        requirements = self._functions_dir / self._spec.requirements
        command = [
            *_uv_command(),
            "pip",
            "install",
            "--quiet",
            "--target",
            str(output),
            "--python-platform",
            PYTHON_PLATFORM,
            "--python-version",
            PYTHON_VERSION,
            # Only wheels: an sdist would be built for the host, not for Lambda.
            "--only-binary",
            ":all:",
            "-r",
            str(requirements),
        ]
        try:
            # The command is built from constants and paths in this repository.
            result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        except OSError as error:
            raise BundlingError(
                f"cannot run uv to bundle the {self._spec.name} function ({error}); "
                "install the dev requirements (uv is pinned there)"
            ) from error
        if result.returncode != 0:
            raise BundlingError(
                f"uv could not install {requirements} for {PYTHON_PLATFORM} / Python "
                f"{PYTHON_VERSION} (exit {result.returncode}):\n{result.stderr.strip()}"
            )
        # Console scripts point at the host's interpreter and Lambda never runs them; `.lock` is
        # uv's lock on the target directory.
        shutil.rmtree(output / "bin", ignore_errors=True)
        (output / ".lock").unlink(missing_ok=True)

    def _copy_package(self, output: Path) -> None:
        source = self._functions_dir / PACKAGE
        if not source.is_dir():
            raise BundlingError(
                f"{source} does not exist: nothing to deploy as the {self._spec.name} function"
            )
        excluded = {source / sub for sub in self._spec.excluded_subpackages}
        shutil.copytree(
            source,
            output / PACKAGE,
            ignore=_ignore(excluded),
            dirs_exist_ok=True,
        )


def _ignore(excluded: set[Path]) -> Any:
    caches = shutil.ignore_patterns(*IGNORED_NAMES)

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set(caches(directory, names))
        skipped.update(name for name in names if Path(directory, name) in excluded)
        return skipped

    return ignore


def lambda_code(spec: BundleSpec, functions_dir: Path = FUNCTIONS_DIR) -> lambda_.Code:
    """The asset for one function, hashed from its sources and requirements (not from the output)."""
    return lambda_.Code.from_asset(
        str(functions_dir),
        exclude=spec.asset_excludes,
        bundling=cdk.BundlingOptions(
            image=_UNUSED_IMAGE,
            local=UvLocalBundling(spec, functions_dir),
            # Part of the asset hash, so the api and worker assets (same source folder) differ
            # and a change of target platform rebuilds both.
            environment={
                "BUNDLE": spec.name,
                "REQUIREMENTS": spec.requirements,
                "PYTHON_VERSION": PYTHON_VERSION,
                "PYTHON_PLATFORM": PYTHON_PLATFORM,
                "PRUNE": signature(spec.powertools_utilities),
            },
        ),
    )
