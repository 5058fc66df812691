"""`make botocore-data`: botocore's data for the services the functions call, narrowed, written to
functions/cv_jobs/aws/botocore_data/ for their AWS clients (cv_jobs/aws/clients.py serves it to
botocore in place of its own files).

A cold start's first clients read and decode botocore's endpoints.json (1.2 MB: every service of
every partition) and each service's model (DynamoDB's and KMS's 0.5 MB each, compressed), about
25 ms of the api's first request. What is written here is the same data with what botocore never
reads while calling a service left out:
- `endpoints.json`: every partition whole (regions, defaults, DNS suffixes), and of its services
  only ours;
- `<service>/<api version>/service-2.json`: the service's model without its documentation strings
  (botocore reads them only to write docstrings for `help()`), every operation and shape kept.
Tests fail when it is stale against the pinned botocore and check that clients resolve, sign and
serialize as with botocore's own data.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "functions" / "cv_jobs" / "aws" / "botocore_data"
# Keys botocore's models carry for documentation only.
DOCUMENTATION_KEYS = frozenset({"documentation", "documentationUrl"})


def endpoints_subset(full: dict[str, Any], services: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(services)

    def narrowed(partition: dict[str, Any]) -> dict[str, Any]:
        offered = partition["services"]
        return {**partition, "services": {name: offered[name] for name in wanted if name in offered}}

    return {**full, "partitions": [narrowed(partition) for partition in full["partitions"]]}


def without_documentation(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: without_documentation(item) for key, item in value.items() if key not in DOCUMENTATION_KEYS
        }
    if isinstance(value, list):
        return [without_documentation(item) for item in value]
    return value


def narrowed_data(services: Iterable[str]) -> dict[str, Any]:
    """Relative file name (without .json) -> its content, for every file the clients are served."""
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    files: dict[str, Any] = {"endpoints": endpoints_subset(loader.load_data("endpoints"), services)}
    for service in sorted(services):
        version = loader.determine_latest_version(service, "service-2")
        model = loader.load_data(f"{service}/{version}/service-2")
        files[f"{service}/{version}/service-2"] = without_documentation(model)
    return files


def main() -> None:
    sys.path.insert(0, str(REPO / "functions"))
    from cv_jobs.aws.clients import SERVICES

    shutil.rmtree(DATA_DIR, ignore_errors=True)
    for name, content in narrowed_data(SERVICES).items():
        path = DATA_DIR / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, separators=(",", ":"), sort_keys=True) + "\n")
        print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
