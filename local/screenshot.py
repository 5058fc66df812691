"""docs/playground.png: the playground after a succeeded extract, taken in a real browser.

Start a FAKE_LLM stack first (`FAKE_LLM=1 make run`), then `.venv/bin/python -m local.screenshot`
(PLAYGROUND_URL, default http://127.0.0.1:5173/). It loads the example extract request, submits it,
waits for the result and saves a full-page screenshot.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from local.browser import launch, missing

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "docs" / "playground.png"


def main() -> int:
    problem = missing()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    url = os.environ.get("PLAYGROUND_URL", "http://127.0.0.1:5173/")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = launch(playwright, Path(profile))
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        page.select_option("[data-testid=job-type]", "extract")
        page.click("[data-testid=load-example]")
        page.click("[data-testid=submit]")
        page.wait_for_selector("[data-testid=status][data-status=succeeded]", timeout=30_000)
        page.screenshot(path=str(OUTPUT), full_page=True)
        context.close()
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
