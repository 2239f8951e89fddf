"""Which browser the end-to-end tests drive, and small helpers for driving it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

HAVE_BROWSER = os.path.exists(CHROMIUM) and importlib.util.find_spec("playwright") is not None
needs_browser = pytest.mark.skipif(
    not HAVE_BROWSER, reason=f"needs {CHROMIUM} (Debian's chromium) and the playwright package"
)


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def shoot(page: Any, directory: Path, name: str) -> Path:
    """A full-page screenshot of the screen as the user sees it now."""
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def shoot_every_page(directory: Path, name: str, **contexts: Any) -> None:
    """What every page of every browser context shows now (kept when a scenario fails)."""
    for who, context in contexts.items():
        for index, open_page in enumerate(context.pages):
            shoot(open_page, directory, f"failure-{name}-{who}-{index}")
