"""A board whose socket dropped (the server went away) catches up once it is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import log_in, needs_browser, shoot, shoot_every_page
from tests.e2e.stage import PASSWORD

pytestmark = [pytest.mark.e2e, needs_browser]

TITLE = "事業承継の初回相談"
# Every socket of the page retries with backoff (live.js: doubling up to 30 s, with jitter),
# each on its own timer, and a loaded machine adds its own delays: the page is back once the
# last socket is, which may be well over a backoff period after the server is. Wait on that
# condition, with a bound far above the longest backoff, never on a fixed time.
BACK_ONLINE_WITHIN = 120_000


def test_a_board_catches_up_on_what_it_missed_while_its_socket_was_down(
    live_asgi_server: Any, browser: Any, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    try:
        board = context.new_page()
        log_in(board, live_asgi_server.url, "e2e.counselor", PASSWORD)
        board.goto(f"{live_asgi_server.url}/desks/yorozu/board/")
        expect(board.locator("body")).to_have_attribute("data-live", "online", timeout=10000)
        board.evaluate("window.__casebookNotReloaded = true")
        queued = board.locator(".column-intake .board-card", has_text=TITLE)
        expect(queued).to_have_count(0)

        live_asgi_server.halt()
        expect(board.locator("#live-offline")).to_be_visible(timeout=10000)
        shoot(board, screenshot_dir, "13-board-offline")
        # A case opened while the board could hear nothing about it.
        live_asgi_server.run("open-case", TITLE)
        live_asgi_server.resume()

        expect(board.locator("body")).to_have_attribute(
            "data-live", "online", timeout=BACK_ONLINE_WITHIN
        )
        expect(board.locator("#live-offline")).to_be_hidden(timeout=BACK_ONLINE_WITHIN)
        expect(queued).to_be_visible(timeout=BACK_ONLINE_WITHIN)
        assert board.evaluate("window.__casebookNotReloaded === true")
        shoot(board, screenshot_dir, "14-board-reconnected")
    except Exception:
        shoot_every_page(screenshot_dir, "reconnect", counselor=context)
        raise
    finally:
        if live_asgi_server.process.poll() is not None:
            live_asgi_server.resume()
        context.close()
