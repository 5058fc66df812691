"""Each Lambda bundle's size, zipped and unzipped, as the project's bundler builds it for
`cdk synth -c env=dev` (uv, Lambda's arm64 / CPython 3.14 wheels), with and without the pruning of
infra/bundle_pruning.py. Zipped = deflate level 6 of every file (what CDK uploads is the same files
zipped)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.harness import print_table


def _sizes(folder: Path) -> dict[str, Any]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder).as_posix())
    by_top: dict[str, int] = {}
    for path in files:
        top = path.relative_to(folder).parts[0]
        by_top[top] = by_top.get(top, 0) + path.stat().st_size
    largest = sorted(by_top.items(), key=lambda item: -item[1])[:3]
    return {
        "files": len(files),
        "unzipped": sum(path.stat().st_size for path in files),
        "zipped": len(buffer.getvalue()),
        "largest": ", ".join(f"{name} {size / 1e6:.1f}" for name, size in largest),
    }


@contextmanager
def _pruning(enabled: bool) -> Iterator[None]:
    if enabled:
        yield
        return
    with mock.patch("infra.bundling.prune", return_value=None):
        yield


def measure(pruned: bool) -> dict[str, dict[str, Any]]:
    from tests.infra.synth import synthesize

    with _pruning(pruned), tempfile.TemporaryDirectory(prefix="bench-synth-") as outdir:
        synth = synthesize("dev", Path(outdir))
        resources = synth.template.to_json()["Resources"]
        sizes = {}
        for logical_id, resource in sorted(resources.items()):
            path = resource.get("Metadata", {}).get("aws:asset:path")
            if resource["Type"] == "AWS::Lambda::Function" and path:
                name = logical_id.split("Lambda")[0] or logical_id
                sizes[name] = _sizes(Path(outdir) / path)
        return sizes


def report(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
    rows = []
    for name, size in after.items():
        old = before.get(name, size)
        rows.append(
            [
                name,
                f"**{size['zipped'] / 1e6:.2f}**",
                f"{size['unzipped'] / 1e6:.2f}",
                str(size["files"]),
                f"{old['zipped'] / 1e6:.2f} / {old['unzipped'] / 1e6:.2f}",
                size["largest"],
            ]
        )
    print_table(
        "Lambda bundles (MB, 10^6 bytes), `cdk synth -c env=dev` with the uv bundler",
        [
            "function",
            "zipped",
            "unzipped",
            "files",
            "before pruning: zipped / unzipped",
            "largest (unzipped MB)",
        ],
        rows,
    )
