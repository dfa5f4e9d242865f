"""The browser the page tests drive: the distribution's Chromium, through Playwright for
Python (`executable_path`; never `playwright install`). Without it a test skips, naming the
install command; under SHUSHANG_REQUIRE_INTEROP=1 (CI) it fails instead."""

from __future__ import annotations

import os
import shutil

import pytest

INSTALL = "apt-get install -y chromium"
# The flags this machine's Chromium needs: no sandbox as root, no network of its own.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> str:
    """Chromium's path; a skip (a failure under SHUSHANG_REQUIRE_INTEROP=1) without it or
    without Playwright, decided before the database is touched."""
    problem = None
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.async_api  # noqa: F401 - only whether it is there
    except ImportError:
        problem = "Playwright for Python is not installed: pip install -r requirements.lock"
    if found is None:
        problem = f"Chromium is not installed: {INSTALL}"
    if problem is None and found is not None:
        return found
    if os.environ.get("SHUSHANG_REQUIRE_INTEROP") == "1":
        pytest.fail(f"{problem} (SHUSHANG_REQUIRE_INTEROP=1)")
    pytest.skip(problem or "no browser")
