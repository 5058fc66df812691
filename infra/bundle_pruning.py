"""What the bundler removes from an installed bundle: code no function of ours runs, and files no
Lambda reads. Smaller zips upload and unpack faster (an unpacked function is read from its zip
on the first cold start of each new execution environment).

- Powertools ships every utility (idempotency, parameters, feature flags, data masking, ...). A
  bundle keeps only the utilities its function imports: `BundleSpec.powertools_utilities`, which
  tests/infra/test_bundle_contents.py checks against what the handlers import on their paths.
- The Swagger UI's script and stylesheet (1.7 MB), read only by `enable_swagger()`, which we never
  call (our OpenAPI document is our own).
- Type stubs (`*.pyi`, `py.typed`), bundled test suites, bytecode caches, and the installer's
  bookkeeping in `*.dist-info` (RECORD, INSTALLER, REQUESTED, direct_url.json); METADATA and the
  license files stay, so versions still resolve and the licences travel with the code.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

POWERTOOLS = "aws_lambda_powertools"
SWAGGER_ASSETS = ("swagger-ui-bundle.min.js", "swagger-ui.min.css")
DIST_INFO_BOOKKEEPING = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
STUB_FILES = ("*.pyi", "py.typed")
TEST_DIRS = ("tests", "__pycache__")

# Bump when the rules above change: it is part of each asset's hash, so the bundles are rebuilt.
RULES_VERSION = "1"


def prune(bundle: Path, powertools_utilities: Iterable[str]) -> None:
    keep = set(powertools_utilities)
    utilities = bundle / POWERTOOLS / "utilities"
    if utilities.is_dir():
        for entry in utilities.iterdir():
            if entry.is_dir() and entry.name not in keep and entry.name != "__pycache__":
                shutil.rmtree(entry)
    swagger = bundle / POWERTOOLS / "event_handler" / "openapi" / "swagger_ui"
    for name in SWAGGER_ASSETS:
        (swagger / name).unlink(missing_ok=True)
    for pattern in STUB_FILES:
        for path in bundle.rglob(pattern):
            path.unlink()
    for name in TEST_DIRS:
        # Only inside installed packages: never a folder of ours that happens to be named so.
        for path in sorted(bundle.rglob(name), reverse=True):
            if path.is_dir() and not path.relative_to(bundle).parts[0].startswith("cv_jobs"):
                shutil.rmtree(path)
    for dist_info in bundle.glob("*.dist-info"):
        for name in DIST_INFO_BOOKKEEPING:
            (dist_info / name).unlink(missing_ok=True)


def signature(powertools_utilities: Iterable[str]) -> str:
    """Changes whenever what `prune` would leave changes (rules or the kept utilities)."""
    text = RULES_VERSION + ":" + ",".join(sorted(powertools_utilities))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
