"""What the core holds about a client, for the APPI disclosure export (docs/security.md,
"APPI"): the client record, its contacts, its cases, their sessions, its outcomes.
Registered in `IntakeConfig.ready()`; the other apps register their own records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from casebook.common.exports import record
from casebook.common.extensions import PersonalDataSource
from casebook.common.models import in_link_order
from casebook.intake.models import Case, ClientContact, ClientOutcome, ConsultationSession

if TYPE_CHECKING:
    from casebook.common.extensions import Registry
    from casebook.intake.models import Client

# Derived search keys: nothing a person told us that the record does not already hold.
CLIENT_DERIVED = ("name_search", "name_kana_search", "phone_digits")
# The case's confidentiality copied onto each session for the lists (the case's own record,
# above, holds it): not something told about the session.
SESSION_DERIVED = ("case_confidentiality",)


def _client(client: Client) -> Iterator[dict[str, Any]]:
    yield record(client, exclude=CLIENT_DERIVED)


def _contacts(client: Client) -> Iterator[dict[str, Any]]:
    for contact in ClientContact.objects.filter(client=client).order_by("pk"):
        yield record(contact)


def _cases(client: Client) -> Iterator[dict[str, Any]]:
    co_counselors = in_link_order("co_counselors", Case.co_counselors)
    for case in Case.objects.filter(client=client).prefetch_related("topics", co_counselors):
        yield record(case) | {
            "topics": [topic.code for topic in case.topics.all()],
            "co_counselors": [person.pk for person in case.co_counselors.all()],
        }


def _sessions(client: Client) -> Iterator[dict[str, Any]]:
    sessions = ConsultationSession.objects.filter(case__client=client).order_by("pk")
    counselors = in_link_order("counselors", ConsultationSession.counselors)
    for session in sessions.prefetch_related("topics", counselors):
        yield record(session, exclude=SESSION_DERIVED) | {
            "topics": [topic.code for topic in session.topics.all()],
            "counselors": [person.pk for person in session.counselors.all()],
        }


def _outcomes(client: Client) -> Iterator[dict[str, Any]]:
    for outcome in ClientOutcome.objects.filter(client=client).order_by("pk"):
        yield record(outcome)


def register(registry: Registry) -> None:
    for order, (key, rows) in enumerate(
        [
            ("client", _client),
            ("contacts", _contacts),
            ("cases", _cases),
            ("sessions", _sessions),
            ("outcomes", _outcomes),
        ]
    ):
        registry.add_personal_data_source(PersonalDataSource(key=key, rows=rows, order=order))
