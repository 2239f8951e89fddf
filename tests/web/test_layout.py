"""The base layout's nav and language form, reused between requests that ask the same of them
(casebook/common/fragments.py): what each login is offered follows its roles, its language
and its session on the very next request, and what is per request stays per request."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from casebook.accounts.models import DeskMembership, DeskRole, OrgRole
from casebook.common.fragments import forget_rendered
from casebook.notifications.models import Notification
from tests.factories import member
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

PLAIN_PAGE = "/accounts/password/done/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def page(web, path: str = PLAIN_PAGE) -> str:
    response = web.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def nav(html: str) -> str:
    return html[html.index('<nav class="site-nav"') : html.index("</nav>") + len("</nav>")]


def without_tokens(html: str) -> str:
    return CSRF.sub("", html)


def unread(user, count: int) -> None:
    Notification.objects.bulk_create(
        Notification(recipient=user, kind="updated", subject_type="intake.case", subject_id=n)
        for n in range(1, count + 1)
    )


def test_an_ended_membership_takes_its_screens_out_of_the_nav_on_the_next_request(cast, client):
    web = login(client, cast.coordinator)
    before = nav(page(web))
    assert "担当案件" in before
    for screen in ("intake", "reports:kpis", "search"):
        assert f'"{reverse(screen)}"' in before, screen

    DeskMembership.objects.filter(user=cast.coordinator).update(active=False)
    after = nav(page(web))

    assert "担当案件" not in after
    for screen in ("intake", "reports:kpis", "search"):
        assert f'"{reverse(screen)}"' not in after, screen
    assert f'"{reverse("experts:desk")}"' in after


def test_a_new_membership_adds_its_screens_to_the_nav_on_the_next_request(cast, client):
    web = login(client, cast.outsider)
    assert f'"{reverse("intake")}"' not in nav(page(web))

    DeskMembership.objects.create(
        user=cast.outsider, desk=cast.coordinator.memberships.get().desk, role=DeskRole.COORDINATOR
    )
    after = nav(page(web))

    assert "担当案件" in after
    for screen in ("intake", "reports:kpis", "search"):
        assert f'"{reverse(screen)}"' in after, screen


def test_an_organisation_role_given_and_taken_shows_on_the_next_request(cast, client):
    web = login(client, cast.counselor)
    audit_links = (reverse("exits:access_log"), reverse("security_events"), reverse("reports:kpis"))
    assert not any(link in nav(page(web)) for link in audit_links)

    cast.counselor.org_role = OrgRole.MANAGER
    cast.counselor.save(update_fields=["org_role"])
    assert all(link in nav(page(web)) for link in audit_links)

    cast.counselor.org_role = ""
    cast.counselor.save(update_fields=["org_role"])
    assert not any(link in nav(page(web)) for link in audit_links)


def test_the_nav_and_the_language_form_follow_the_language_switch(cast, client):
    web = login(client, cast.counselor)
    assert "担当案件" in nav(page(web))

    web.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = page(web)
    assert "My cases" in nav(english) and "担当案件" not in nav(english)
    assert '<option value="en" selected>' in english

    web.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    japanese = page(web)
    assert "担当案件" in nav(japanese)
    assert '<option value="ja" selected>' in japanese


def test_after_logging_out_the_layout_names_no_one_and_offers_nothing(cast, client):
    web = login(client, cast.coordinator)
    assert str(cast.coordinator) in nav(page(web))

    web.post(reverse("logout"))
    after = page(web, reverse("login"))

    assert str(cast.coordinator) not in after
    assert 'class="nav-user"' not in after
    assert f'"{reverse("intake")}"' not in nav(after)
    assert web.get(PLAIN_PAGE).status_code == 302


def test_logins_with_the_same_roles_each_see_their_own_name_count_token_and_search(cast, client):
    second = member("yorozu", DeskRole.COUNSELOR, username="second", display_name="二人目の相談員")
    unread(cast.counselor, 2)
    first_web = login(client, cast.counselor)
    second_web = login(client.__class__(), second)

    first = page(first_web, '/search/?q="><script>x</script>')
    other = page(second_web, "/search/?q=相談")

    assert f'<span class="who">{cast.counselor}</span>' in first
    assert '<span class="who">二人目の相談員</span>' in other
    assert 'data-unread="2">2</span>' in first
    assert 'data-unread="0" hidden>0</span>' in other
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in nav(first)
    assert "<script>x" not in first
    assert 'value="相談"' in nav(other)
    first_tokens = [a or b for a, b in CSRF.findall(first)]
    other_tokens = [a or b for a, b in CSRF.findall(other)]
    # The page's header, the logout form and the language form carry the request's token.
    assert len(first_tokens) == len(other_tokens) == 3
    assert len(set(first_tokens)) == len(set(other_tokens)) == 1
    assert first_tokens[0] != other_tokens[0]


@pytest.mark.parametrize(
    "role", ["counselor", "colleague", "coordinator", "manager", "auditor", "exit_team", "outsider"]
)
@pytest.mark.parametrize("path", ["/", "/satellites/", PLAIN_PAGE, "/no/such/page/"])
def test_a_page_with_the_reused_layout_is_the_page_drawn_afresh(cast, client, role, path):
    web = login(client, getattr(cast, role))
    unread(getattr(cast, role), 1)
    forget_rendered()
    fresh = web.get(path)
    reused = web.get(path)

    assert reused.status_code == fresh.status_code
    assert without_tokens(reused.content.decode()) == without_tokens(fresh.content.decode())


def test_the_current_screen_is_marked_in_the_nav(cast, client):
    web = login(client, cast.coordinator)
    marked = re.compile(r'<a href="([^"]+)" aria-current="page">')

    assert marked.findall(nav(page(web, "/"))) == [reverse("home")]
    assert marked.findall(nav(page(web, reverse("intake")))) == [reverse("intake")]
    assert marked.findall(nav(page(web, "/satellites/"))) == [reverse("satellites:index")]
    assert marked.findall(nav(page(web))) == []


def test_a_login_drawn_from_another_logins_layout_sees_its_own_page_as_drawn_afresh(cast, client):
    second = member("yorozu", DeskRole.COUNSELOR, username="second", display_name="二人目の相談員")
    unread(second, 3)
    login(client, cast.counselor).get("/")
    web = login(client.__class__(), second)

    reused = page(web, "/")
    forget_rendered()
    fresh = page(web, "/")

    assert without_tokens(reused) == without_tokens(fresh)


def test_a_layout_rendered_without_a_request_names_its_login_and_carries_no_token(cast):
    html = render_to_string("registration/password_change_done.html", {"user": cast.counselor})

    assert f'<span class="who">{cast.counselor}</span>' in nav(html)
    assert "csrfmiddlewaretoken" not in html
    assert '<input name="next" type="hidden" value="">' in html
