"""Headless Chromium (Debian's, never a downloaded one) against a live daphne server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from tests.e2e.server import LiveServer, start_server


@pytest.fixture(scope="session")
def live_asgi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("e2e-server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    """One Chromium per test: Playwright's sync API holds an event loop on this thread while it
    runs, which must not outlive the test (async_to_sync and the ORM refuse to run under it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """artifacts/screenshots/, without the failure shots of an earlier run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("failure-*.png"):
        old.unlink()
    return SCREENSHOTS
