"""Headless Chromium for the playground's browser test and its screenshot: Debian's `chromium`
package driven by Playwright for Python (pinned in requirements-dev.txt). Playwright's own browser
download is never used; the system browser is, with flags that work without a sandbox or a GPU.

`missing()` says in one line what is not installed and how to get it (`make setup` installs both
where it may), so a test that needs the browser fails with an instruction instead of skipping.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1400, "height": 1000}


def missing() -> str | None:
    """None when the browser test can run; else the one line that says what to install."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is missing: run `make setup` (it is pinned in requirements-dev.txt)"
    if not Path(CHROMIUM).is_file() and shutil.which("chromium") is None:
        return "Chromium is missing: run `make setup` as root, or `apt-get install chromium`"
    return None


def launch(playwright: Any, profile_dir: Path) -> Any:
    """A fresh browser context on an empty profile (`profile_dir`): no cookies, no storage."""
    return playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium"),
        args=list(FLAGS),
        headless=True,
        viewport=VIEWPORT,
    )
