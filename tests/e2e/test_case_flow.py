"""A case from intake to closure in two browsers, the second one watching the desk live.

The coordinator (browser A) takes an intake of a new client, assigns it to a counselor and
closes it; the counselor (browser B) watches the desk board, which follows every step
without a reload, gets a notification when the case becomes theirs, opens the case (the
coordinator sees them arrive) and logs a session (the coordinator's timeline shows it).
A screenshot of every main screen goes to artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import log_in, needs_browser, shoot, shoot_every_page
from tests.e2e.stage import PASSWORD

pytestmark = [pytest.mark.e2e, needs_browser]

# The live updates must arrive within a second; the margin covers the browser re-reading
# the partial and painting it on a loaded CI machine.
LIVE = 3000
TITLE = "販路開拓と新商品の相談"
CLIENT = "株式会社笠間陶芸工房"
SUMMARY = "海外の展示会への出展方法と補助金の活用について助言した。"


def mark_loaded(page: Any) -> None:
    """Leave a flag in the page's window: it survives live updates, not a reload."""
    page.evaluate("window.__casebookNotReloaded = true")


def not_reloaded(page: Any) -> bool:
    return page.evaluate("window.__casebookNotReloaded === true")


def card(board: Any, status: str) -> Any:
    return board.locator(f".column-{status} .board-card", has_text=TITLE)


def test_a_case_from_intake_to_closure_with_the_board_following_live(
    live_asgi_server: Any, browser: Any, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect

    base = live_asgi_server.url
    viewport = {"width": 1280, "height": 900}
    coordinator_context = browser.new_context(viewport=viewport, locale="ja-JP")
    counselor_context = browser.new_context(viewport=viewport, locale="ja-JP")
    try:
        # A: the coordinator logs in and lands on their cases.
        a = coordinator_context.new_page()
        a.goto(f"{base}/accounts/login/")
        shoot(a, screenshot_dir, "01-login")
        log_in(a, base, "e2e.coord", PASSWORD)
        shoot(a, screenshot_dir, "02-my-cases")

        # B: the counselor watches the yorozu board, and keeps it open all along.
        board = counselor_context.new_page()
        log_in(board, base, "e2e.counselor", PASSWORD)
        board.goto(f"{base}/desks/yorozu/board/")
        expect(board.locator("#board")).to_be_visible()
        wait_until_live(board)
        mark_loaded(board)
        shoot(board, screenshot_dir, "03-board")

        # A: intake of a new client.
        a.goto(f"{base}/intake/")
        a.fill("#id_name", CLIENT)
        a.fill("#id_name_kana", "カサマトウゲイコウボウ")
        a.fill("#id_phone", "0296-72-0000")
        a.fill("#id_municipality", "笠間市")
        a.fill("#id_title", TITLE)
        a.locator("label.chip", has_text="販路開拓").click()
        shoot(a, screenshot_dir, "04-intake")
        a.locator("form[method=post][action*='/intake/'] button.primary[type=submit]").click()
        a.wait_for_url(re.compile(r"/cases/\d+/$"))
        case_url = a.url
        number = a.locator("h1").inner_text().split()[0]

        # B: the new case appears in the queue without a reload.
        expect(card(board, "intake")).to_be_visible(timeout=LIVE)
        assert not_reloaded(board)

        # A: assigns the counselor as lead.
        assign = a.locator("form[action$='/assign/']", has=a.locator("select[name$=counselor]"))
        a.locator("details", has=assign).locator("summary").click()
        assign.locator("select[name$=counselor]").select_option(label="日立 太郎")
        assign.locator("button[type=submit]").click()
        a.wait_for_url(case_url)

        # B: the card moves to "assigned", and the counselor is told the case is theirs.
        expect(card(board, "assigned")).to_be_visible(timeout=LIVE)
        expect(card(board, "intake")).to_have_count(0)
        notification = board.locator("#live-notifications .notification", has_text=number)
        expect(notification).to_be_visible(timeout=LIVE)
        assert not_reloaded(board)
        shoot(board, screenshot_dir, "05-board-after-assignment")

        # A stays on the case page; B opens it too, and each sees the other there.
        wait_until_live(a)
        mark_loaded(a)
        b = counselor_context.new_page()
        b.goto(case_url)
        expect(a.locator("#presence")).to_contain_text("日立 太郎", timeout=LIVE)
        expect(b.locator("#presence")).to_contain_text("水戸 花子", timeout=LIVE)
        shoot(a, screenshot_dir, "06-case-with-presence")

        # B logs a session; A's timeline shows it without a reload.
        b.locator("a[href$='/sessions/new/']").first.click()
        b.wait_for_url(re.compile(r"/sessions/new/$"))
        # The duration keeps its default of 60 minutes: saving must work without touching it.
        b.fill("#id_summary", SUMMARY)
        b.fill("#id_advice", "ものづくり補助金の公募要領を確認する。")
        shoot(b, screenshot_dir, "07-session-form")
        b.locator("form.session-form button[type=submit]").first.click()
        b.wait_for_url(case_url)
        expect(a.locator("#timeline")).to_contain_text(SUMMARY, timeout=LIVE)
        expect(card(board, "active")).to_be_visible(timeout=LIVE)
        assert not_reloaded(a)
        assert not_reloaded(board)

        # A closes the case; the board drops it.
        a.reload()
        a.locator("details", has=a.locator("form[action$='/close/']")).locator("summary").click()
        close = a.locator("form[action$='/close/']")
        close.locator("select[name$=reason]").select_option("resolved")
        close.locator("textarea[name$=summary]").fill("助言により出展先が決まり、解決した。")
        shoot(a, screenshot_dir, "08-closing")
        close.locator("button[type=submit]").click()
        a.wait_for_url(case_url)
        expect(a.locator(".page-head .status")).to_have_class(re.compile("status-closed"))
        shoot(a, screenshot_dir, "09-case-closed")
        expect(card(board, "active")).to_have_count(0, timeout=LIVE)
        assert not_reloaded(board)
        shoot(board, screenshot_dir, "10-board-after-closure")

        # The other main screens, for the record.
        a.goto(f"{base}/search/?q=" + "かさま")
        expect(a.locator("main")).to_contain_text(CLIENT)
        shoot(a, screenshot_dir, "11-search")
        a.locator("main a", has_text=CLIENT).first.click()
        a.wait_for_url(re.compile(r"/clients/\d+/$"))
        shoot(a, screenshot_dir, "12-client")
    except Exception:
        shoot_every_page(
            screenshot_dir, "flow", coordinator=coordinator_context, counselor=counselor_context
        )
        raise
    finally:
        coordinator_context.close()
        counselor_context.close()


def wait_until_live(page: Any) -> None:
    """The page's sockets are open (live.js marks <body data-live> once one has connected)."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute("data-live", "online", timeout=10000)
