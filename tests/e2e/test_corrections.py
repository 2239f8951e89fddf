"""A day of corrections in the browser, each screen shot: a client's details (and a stale
save showing both versions), a contact, merging a look-alike client, amending an old session,
the dispute desk's details and the printable case record."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import log_in, needs_browser, shoot, shoot_every_page
from tests.e2e.stage import PASSWORD

pytestmark = [pytest.mark.e2e, needs_browser]

NAME = "那珂川精機"


def test_a_coordinator_corrects_clients_sessions_and_details_and_prints_the_record(
    live_asgi_server: Any, browser: Any, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect

    base = live_asgi_server.url
    live_asgi_server.run()
    live_asgi_server.run("corrections", NAME)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    try:
        page = context.new_page()
        log_in(page, base, "e2e.coord", PASSWORD)

        # The client page, found by search.
        page.goto(f"{base}/search/?q={NAME}")
        page.locator("main a", has_text=f"株式会社{NAME}").first.click()
        page.wait_for_url(re.compile(r"/clients/\d+/$"))
        client_url = page.url
        shoot(page, screenshot_dir, "13-client-page")

        # Edit: someone else saves first; saving shows both versions and keeps the input.
        page.locator(".head-actions a[href$='/edit/']").click()
        page.wait_for_url(re.compile(r"/clients/\d+/edit/$"))
        other = context.new_page()
        other.goto(page.url)
        other.fill("#id_representative", "那珂 一郎")
        other.locator("main form[method=post] button.primary").click()
        other.wait_for_url(client_url)
        other.close()
        page.fill("#id_representative", "那珂 花子")
        page.fill("#id_postal_code", "３１１－０１１１")
        # The code's place replaces the prefecture and municipality while it is typed.
        expect(page.locator("#id_municipality")).to_have_value("那珂市")
        expect(page.locator("#id_prefecture")).to_have_value("茨城県")
        shoot(page, screenshot_dir, "14-client-edit")
        page.locator("main form[method=post] button.primary").click()
        expect(page.locator(".conflict")).to_be_visible()
        expect(page.locator(".conflict td.theirs", has_text="那珂 一郎")).to_be_visible()
        expect(page.locator("#id_representative")).to_have_value("那珂 花子")
        shoot(page, screenshot_dir, "15-client-stale-edit")
        page.locator("main form[method=post] button.primary").click()
        page.wait_for_url(client_url)
        expect(page.locator("main")).to_contain_text("那珂 花子")
        expect(page.locator("main")).to_contain_text("311-0111")

        # A contact, made the primary one.
        page.locator("a[href$='/contacts/new/']").click()
        page.fill("#id_name", "総務 和子")
        page.fill("#id_title", "総務部長")
        page.fill("#id_phone", "029-000-1112")
        page.check("#id_is_primary")
        shoot(page, screenshot_dir, "16-contact-form")
        page.locator("main form[method=post] button.primary").click()
        page.wait_for_url(re.compile(r"/clients/\d+/#contacts$"))
        expect(page.locator("#contacts")).to_contain_text("総務部長")

        # Merge the look-alike client: the preview first, then the merge.
        page.goto(f"{base}/search/?q={NAME}")
        href = page.locator("main a", has_text=f"{NAME}(株)").first.get_attribute("href")
        other_id = re.search(r"/clients/(\d+)/", href).group(1)
        page.goto(f"{client_url}merge/")
        page.fill("#id_other", other_id)
        page.locator("main form[method=get] button.primary").click()
        expect(page.locator(".merge-preview")).to_be_visible()
        shoot(page, screenshot_dir, "17-merge-preview")
        page.fill("#id_reason", "同じ会社の二重登録")
        page.locator("main form[method=post] button.primary").click()
        page.wait_for_url(client_url)
        expect(page.locator("main")).to_contain_text(f"{NAME}の販路開拓")

        # Amend the session logged 10 days ago: refused without a reason, then saved.
        page.locator("main tr", has_text=f"{NAME}の資金繰り").locator("a").first.click()
        page.wait_for_url(re.compile(r"/cases/\d+/$"))
        case_url = page.url
        page.locator("a[href*='/sessions/'][href$='/edit/']").first.click()
        page.wait_for_url(re.compile(r"/sessions/\d+/edit/$"))
        page.fill("#id_duration_minutes", "90")
        page.locator("form.session-form button[type=submit]").click()
        expect(page.locator("#id_reason_error")).to_be_visible()
        shoot(page, screenshot_dir, "18-amendment-needs-a-reason")
        page.fill("#id_reason", "面談時間の記入誤り")
        page.locator("form.session-form button[type=submit]").click()
        page.wait_for_url(re.compile(re.escape(case_url) + r"#session-\d+$"))
        amendment = page.locator(".amendment")
        expect(amendment).to_contain_text("面談時間の記入誤り")
        expect(amendment.locator("del")).to_contain_text("60")
        expect(amendment.locator("ins")).to_contain_text("90")
        shoot(page, screenshot_dir, "19-amendment-in-the-timeline")

        # The printable case record, as printed.
        page.goto(f"{case_url}record/")
        expect(page.locator(".record")).to_contain_text(f"株式会社{NAME}")
        page.emulate_media(media="print")
        shoot(page, screenshot_dir, "20-case-record-print")
        page.emulate_media(media="screen")

        # The dispute desk's details of the client's other case.
        page.goto(client_url)
        page.locator("main a", has_text=re.compile(r"subcontract-")).first.click()
        page.wait_for_url(re.compile(r"/cases/\d+/$"))
        page.locator("a[href$='/details/']").click()
        page.fill("#id_counterpart_company", "水府工業株式会社")
        page.check("#id_law_breach_suspected")
        shoot(page, screenshot_dir, "21-dispute-desk-details")
        page.locator("main form[method=post] button.primary").click()
        page.wait_for_url(re.compile(r"/cases/\d+/$"))
        expect(page.locator("main")).to_contain_text("水府工業株式会社")
    except Exception:
        shoot_every_page(screenshot_dir, "corrections", coordinator=context)
        raise
    finally:
        context.close()
