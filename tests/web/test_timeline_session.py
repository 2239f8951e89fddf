"""The case page's session entries drawn from text kept once per shape
(`casebook.intake.fragments.timeline_session`, docs/performance.md, "The case page's sessions
drawn once per shape") against the template text they replace, drawn by the template engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.template import engines
from django.utils import timezone, translation

from casebook.accounts.models import DeskRole
from casebook.common.fragments import forget_rendered
from casebook.intake import services
from casebook.intake.fragments import timeline_session
from casebook.intake.models import ConsultationSession
from casebook.intake.selectors.timeline import _sessions
from tests.factories import OfficeFactory, case_in_state, member

# The page's template drew a session's entry with these lines, inside
# `{% with session=entry.obj %}` (the text the fragment must give, byte for byte; the line
# break and indent that followed them stay in the page's template, after the tag).
REFERENCE = (Path(__file__).parent / "timeline_session_reference.html").read_text()


def _reference(session: ConsultationSession, actions: frozenset[str]) -> str:
    template = engines["django"].from_string("{% load i18n casebook_tags %}" + REFERENCE)
    return template.render({"session": session, "actions": actions})


@pytest.fixture
def varied_case(cast):
    """A case whose sessions have each optional part or not, text that needs escaping and
    line breaks, follow-ups past and future, and amendments."""
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    colleague = member("yorozu", DeskRole.COUNSELOR, username="co<&>", display_name="A & <B>")
    now = timezone.now()
    office = OfficeFactory(name="つくば <サテライト> & 分室")
    shapes = [
        {},
        {
            "office": office,
            "client_attendees": "社長 & 専務 <x>",
            "topics": ["finance", "marketing"],
        },
        {"advice": "助言 <i>\n二行目\r\n三行目", "client_next_actions": "資料 & 提出"},
        {
            "our_next_actions": "<script>x</script>",
            "follow_up_on": timezone.localdate() - dt.timedelta(days=5),
        },
        {"follow_up_on": dt.date(2099, 1, 1), "counselors": [cast.counselor, colleague]},
        {"summary": '要約 <b>&amp; "引用"\n二行目', "duration_minutes": 480, "mode": "phone"},
    ]
    for n, shape in enumerate(shapes):
        fields = {
            "started_at": now - dt.timedelta(days=30 - n),
            "duration_minutes": 60,
            "mode": "in_person_hq",
            "summary": f"相談{n}",
            "counselors": [cast.counselor],
            **shape,
        }
        services.session_log(case=case, by=cast.counselor, **fields)
    amended = ConsultationSession.objects.filter(case=case).order_by("started_at")[1]
    ConsultationSession.objects.filter(pk=amended.pk).update(created_at=now - dt.timedelta(days=40))
    amended.refresh_from_db()
    services.session_update(
        session=amended,
        by=cast.counselor,
        expected_version=None,
        reason="誤記 <訂正> & 追記",
        summary="訂正後 & <新>",
    )
    return case


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("actions", [frozenset({"log_session"}), frozenset()])
def test_a_sessions_entry_is_the_text_the_pages_template_drew(varied_case, language, actions):
    forget_rendered()
    sessions = _sessions(varied_case)
    assert any(session.amended for session in sessions)
    with translation.override(language):
        # Twice: the first drawing of a shape keeps its text, the second reuses it.
        for _round in range(2):
            for session in sessions:
                drawn = timeline_session(session, can_correct="log_session" in actions)
                assert drawn == _reference(session, actions)


def test_a_second_session_of_the_same_shape_draws_no_template(varied_case, monkeypatch):
    sessions = _sessions(varied_case)
    with translation.override("ja"):
        for session in sessions:
            timeline_session(session, can_correct=True)
        drawn = []
        monkeypatch.setattr(
            "casebook.common.fragments.get_template", lambda name: drawn.append(name)
        )
        plain = [session for session in sessions if not session.amended]
        for session in plain:
            timeline_session(session, can_correct=True)
    assert drawn == []
