"""The frontend's TypeScript types (clients/typescript/) are what openapi-typescript makes of the
committed docs/openapi.json now, with the flags of package.json's `openapi-types` script (the one
`make openapi` runs)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
TYPES = REPO_ROOT / "clients" / "typescript" / "cv-ai-jobs.d.ts"


def _generate_command(output: Path) -> list[str]:
    """package.json's openapi-types script (it ends in --output), aimed at `output`."""
    script = json.loads((REPO_ROOT / "package.json").read_text(encoding="utf-8"))["scripts"]["openapi-types"]
    program, *arguments = shlex.split(script)
    assert program == "openapi-typescript", script
    assert (arguments[0], arguments[-1]) == ("docs/openapi.json", "--output"), script
    binary = NODE_BIN / program
    assert binary.is_file(), f"{binary} is missing: run make setup"
    return [str(binary), *arguments, str(output)]


def _node_environment() -> dict[str, str]:
    """The project's Node first on PATH (the tools' `#!/usr/bin/env node`), as `make` has it."""
    return {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_committed_types_are_generated_from_the_committed_document(tmp_path: Path) -> None:
    # Given the committed document and the pinned generator
    assert (NODE_BIN / "node").is_file(), "node_modules is missing: run make setup"
    assert DOCUMENT.is_file(), "docs/openapi.json is missing: run make openapi"
    output = tmp_path / "cv-ai-jobs.d.ts"
    # When openapi-typescript runs on it, on the project's Node, into a temporary directory
    completed = subprocess.run(  # noqa: S603 - the project's own pinned tool
        _generate_command(output),
        cwd=REPO_ROOT,
        env=_node_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    # Then the committed types are exactly what it wrote
    committed = TYPES.read_text(encoding="utf-8") if TYPES.is_file() else ""
    assert committed == output.read_text(encoding="utf-8"), f"{TYPES.name} is stale: run make openapi"


def test_types_export_every_component_schema_by_name() -> None:
    # Given the committed document's schemas
    schemas = json.loads(DOCUMENT.read_text(encoding="utf-8"))["components"]["schemas"]
    types = TYPES.read_text(encoding="utf-8")
    # Then each is a root-level type the frontend can import by its own name
    for name in schemas:
        assert f"export type {name} = components['schemas']['{name}'];" in types, name


def test_types_compile_under_strict_typescript() -> None:
    # Given the committed types and the TypeScript compiler openapi-typescript brings (its peer)
    tsc = NODE_BIN / "tsc"
    assert tsc.is_file(), f"{tsc} is missing: run make setup"
    # When tsc checks them strictly
    completed = subprocess.run(  # noqa: S603 - the project's own pinned tool
        [str(tsc), "--noEmit", "--strict", str(TYPES)],
        env=_node_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    # Then it finds nothing to complain about
    assert completed.returncode == 0, completed.stdout[-2000:]
