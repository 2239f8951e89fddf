"""The base layout's nav and language form (templates/base.html), each rendered once per
combination of what it depends on (docs/performance.md, "The fixed cost of a request").

Every request still asks the policies its own questions (whom the nav offers the intake
screen, the exit track, the access log, the reports): their answers are the key of the text
reused, so the policies stay the one authority and a changed membership or role shows on the
next request. What differs per request (the CSRF token, the search words, the login's name,
the unread count) is filled into the reused text, escaped as the template escapes it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString

from casebook.common.fragments import render_once
from casebook.exits import policy as exits_policy
from casebook.intake import policy as case_policy
from casebook.notifications import selectors as notification_selectors
from casebook.notifications.templatetags.notifications_tags import capped
from casebook.reports import policy as reports_policy

register = template.Library()

NAV = "includes/nav.html"
INBOX = "notifications/_nav.html"
LANGUAGE_FORM = "includes/language.html"
# The screens whose nav link is marked as the current page.
_MARKED_URL_NAMES = frozenset({"home", "intake"})
_MARKED_NAMESPACES = frozenset({"satellites"})


class NavOffers(NamedTuple):
    """The policies' answers the nav is drawn from (False where it does not ask)."""

    staff: bool = False
    intake: bool = False
    exit_track: bool = False
    access_log: bool = False
    reports: bool = False


def nav_offers(user: Any) -> NavOffers:
    """What the nav offers `user`, asked of the policies; the exit track and the access log
    only of staff (the nav shows them to staff only)."""
    if not getattr(user, "is_authenticated", False):
        return NavOffers()
    staff = case_policy.is_staff_member(user)
    return NavOffers(
        staff=staff,
        intake=case_policy.may_take_intakes(user),
        exit_track=staff and exits_policy.works_the_track(user),
        access_log=staff and exits_policy.may_read_access_log(user),
        reports=reports_policy.may_read_reports(user),
    )


def _current(request: HttpRequest | None) -> frozenset[str]:
    """The screens the nav marks as the current page: a route named `home` or `intake`, or
    any route of the satellites (as the template compared them)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return frozenset()
    return frozenset({match.url_name} & _MARKED_URL_NAMES | {match.namespace} & _MARKED_NAMESPACES)


def _csrf_token(context: template.Context) -> str | None:
    """The page's CSRF token as `{% csrf_token %}` prints it; None where that tag prints
    nothing (no token), so the caller renders without reuse."""
    token = context.get("csrf_token")
    if not token:
        return None
    token = str(token)
    return None if token == "NOTPROVIDED" else token


def _render_plain(template_name: str, context: template.Context, values: dict[str, Any]) -> str:
    """The template drawn afresh with every value, nothing reused."""
    return context.template.engine.get_template(template_name).render(
        template.Context({**values}, autoescape=context.autoescape)
    )


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> SafeString | str:
    """templates/includes/nav.html for the page's login: the policies asked, the unread
    counted, the text reused for the same answers, screen and language."""
    user = context.get("user")
    request = context.get("request")
    if not getattr(user, "is_authenticated", False):
        return render_once(NAV, key=("anonymous",), context={"signed_in": False}, holes={})
    offers = nav_offers(user)
    current = _current(request)
    unread = notification_selectors.unread_count(user=user)
    inbox = render_once(
        INBOX,
        key=(bool(unread),),
        context={"shows_unread": bool(unread)},
        holes={"unread": str(unread), "unread_label": capped(unread)},
    )
    keyed = {"signed_in": True, "offers": offers, "current": current}
    holes = {
        "q": (request.GET.get("q") if request is not None else None) or "",
        "inbox": inbox,
        "who": str(user),
    }
    token = _csrf_token(context)
    if token is None:
        plain = {**keyed, **holes, "csrf_token": context.get("csrf_token")}
        return _render_plain(NAV, context, plain)
    holes["csrf_token"] = token
    return render_once(NAV, key=(offers, current), context=keyed, holes=holes)


@register.simple_tag(takes_context=True)
def language_form(context: template.Context) -> SafeString | str:
    """templates/includes/language.html, its text reused per language."""
    request = context.get("request")
    next_path = request.get_full_path() if request is not None else ""
    token = _csrf_token(context)
    if token is None:
        return _render_plain(
            LANGUAGE_FORM, context, {"next": next_path, "csrf_token": context.get("csrf_token")}
        )
    return render_once(
        LANGUAGE_FORM, key=(), context={}, holes={"next": next_path, "csrf_token": token}
    )
