"""The case page's timeline entries of sessions, drawn from text kept once per shape.

The newest 20 entries of a case's timeline are mostly sessions, and the template engine spent
most of the page's drawing time on them: a few dozen nodes, lookups, filters, `{% translate %}`
and `{% url %}` for every session, every request (docs/performance.md, "The case page's
sessions drawn once per shape"). `intake/_timeline_session.html` is now drawn through
`common.fragments.render_once`: once per language and *shape* (which of the optional parts the
session has, whether it is amended, whether the reader may correct it), with every value of the
session left as a hole that is escaped as the template would have escaped it.

What a condition of the template reads is the key; what it prints is a hole, computed here as
the page's template computed it (the same filters: `linebreaksbr`, `jdate`, `is_past`; the same
names: `str()` of a counselor, of the office). Nothing of a session is kept between requests.
An amended session's amendments (rare) are drawn by their own template, as before.
"""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.template.loader import get_template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from casebook.common.fragments import render_once
from casebook.intake.models import ConsultationSession
from casebook.intake.templatetags.casebook_tags import is_past, jdate

SESSION_TEMPLATE = "intake/_timeline_session.html"
AMENDMENTS_TEMPLATE = "intake/_session_amendments.html"
# The modes' labels (lazy: each is translated when printed). `get_mode_display()` builds this
# dict again on every call, hashing and so translating every label.
_MODE_LABELS = dict(ConsultationSession._meta.get_field("mode").flatchoices)


def timeline_session(session: ConsultationSession, *, can_correct: bool) -> SafeString:
    """What the case page's timeline draws inside a session's entry (`entry.obj`, read by
    `selectors.case_timeline_page` with its office, counselors, topics and `amended`);
    `can_correct`: the page offers `log_session` (the correction link)."""
    counselors = [str(person) for person in session.counselors.all()]
    topics = [topic.name for topic in session.topics.all()]
    follow_up_on = session.follow_up_on
    shape = {
        "office": bool(session.office),
        "attendees": bool(session.client_attendees),
        "topics": bool(topics),
        "advice": bool(session.advice),
        "client_next_actions": bool(session.client_next_actions),
        "our_next_actions": bool(session.our_next_actions),
        "follow_up": bool(follow_up_on),
        "follow_up_past": bool(follow_up_on) and is_past(follow_up_on),
        "amended": bool(session.amended),
        "can_correct": can_correct,
    }
    holes: dict[str, Any] = {
        "pk": localize(session.pk),
        "mode": str(_MODE_LABELS.get(session.mode, session.mode)),
        "minutes": localize(session.duration_minutes),
        "counselors": "、".join(counselors),
        "summary": linebreaksbr(session.summary, autoescape=True),
    }
    if shape["office"]:
        holes["office_name"] = str(session.office)
    if shape["attendees"]:
        holes["attendees_text"] = session.client_attendees
    if shape["topics"]:
        holes["chips"] = format_html_join(
            "", '<span class="chip">{}</span>', ((t,) for t in topics)
        )
    for name in ("advice", "client_next_actions", "our_next_actions"):
        if shape[name]:
            holes[f"{name}_text"] = linebreaksbr(getattr(session, name), autoescape=True)
    if shape["follow_up"]:
        holes["follow_up_on"] = jdate(follow_up_on)
    if shape["amended"]:
        holes["amendments"] = get_template(AMENDMENTS_TEMPLATE).render({"session": session})
    if can_correct:
        holes["edit_url"] = reverse("session_edit", args=[session.pk])
    return render_once(SESSION_TEMPLATE, key=tuple(shape.values()), context=shape, holes=holes)
