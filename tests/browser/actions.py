"""What browser tests do on a page: log in as the test user, save a screenshot.

Kept out of conftest.py so test modules import them as ``tests.browser.actions``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
USER, PASSWORD = "analyst", "correct horse battery"
# The main pages' shots also go to the README's screenshots (docs/screenshots/<page>.jpg) when
# RADAR_SCREENSHOTS_DIR names that folder (`make screenshots`); an ordinary test run leaves
# the committed pictures alone.
DOC_SHOTS = {"01-digest-zh": "digest", "02-story": "story", "03-search": "search",
             "05-draft": "draft", "09-sources": "sources", "08-watchlists": "watchlists"}
SCREENSHOTS_ENV = "RADAR_SCREENSHOTS_DIR"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<name>.png (and, for a main page with
    RADAR_SCREENSHOTS_DIR set, the first screen of it as <dir>/<page>.jpg)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    folder = os.environ.get(SCREENSHOTS_ENV)
    if folder and name in DOC_SHOTS:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # the first screen as JPEG: what a reader sees on opening the page, small enough to
        # keep in the repository
        page.screenshot(path=str(Path(folder) / f"{DOC_SHOTS[name]}.jpg"), type="jpeg",
                        quality=80, full_page=False)
    return path


def login(page, user: str = USER, password: str = PASSWORD) -> None:
    """Log in through the form."""
    page.goto("/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")
