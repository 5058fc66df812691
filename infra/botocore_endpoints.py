"""`make endpoints`: botocore's endpoint data narrowed to the services the functions call, written
to functions/cv_jobs/aws/botocore_endpoints.json for their AWS clients (cv_jobs/aws/clients.py).

botocore reads and decodes its whole endpoints.json (1.2 MB, every service of every partition) when
a cold start builds its first client, some 10-19 ms of it; the functions call four services. The
subset keeps every partition whole (regions, defaults, DNS suffixes) and, of its services, ours.
Tests fail when it is stale against the pinned botocore, and check that every region of every
partition resolves as with the full data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SUBSET_PATH = REPO / "functions" / "cv_jobs" / "aws" / "botocore_endpoints.json"


def endpoints_subset(full: dict[str, Any], services: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(services)
    return {
        **full,
        "partitions": [
            {
                **partition,
                "services": {
                    name: partition["services"][name] for name in wanted if name in partition["services"]
                },
            }
            for partition in full["partitions"]
        ],
    }


def main() -> None:
    import botocore.loaders

    sys.path.insert(0, str(REPO / "functions"))
    from cv_jobs.aws.clients import SERVICES

    full = botocore.loaders.create_loader().load_data("endpoints")
    SUBSET_PATH.write_text(json.dumps(endpoints_subset(full, SERVICES), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SUBSET_PATH.relative_to(REPO)} ({SUBSET_PATH.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
