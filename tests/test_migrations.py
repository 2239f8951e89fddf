"""Every migration reverses: the whole schema goes back to an empty database and comes again,
and the data steps carry their data both ways (docs/architecture.md, "Migrations")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from casebook.intake.models import Case, ConsultationSession, Topic
from tests.factories import CaseFactory, SessionFactory, UserFactory

# serialized_rollback: the rows the migrations seeded (desks, topics) are there again for the
# tests after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _migrate(targets: list[tuple[str, str | None]]) -> None:
    executor = _executor()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    return _executor().loader.graph.leaf_nodes()


def _casebook_tables() -> set[str]:
    return {
        name
        for name in connection.introspection.table_names()
        if name.split("_")[0]
        in {"accounts", "api", "exits", "experts", "intake", "notifications", "referrals"}
        | {"reports", "satellites"}
    }


@pytest.fixture
def back_at_the_latest_state() -> Iterator[None]:
    """Whatever the test does, the database ends fully migrated, and the content types
    (remade with new ids by the flush after the test) are read again."""
    try:
        yield
    finally:
        _migrate(_latest())
        ContentType.objects.clear_cache()


@pytest.mark.usefixtures("back_at_the_latest_state")
def test_every_app_migrates_to_zero_and_back():
    executor = _executor()
    apps = sorted({app for app, _name in executor.loader.graph.leaf_nodes()})
    assert _casebook_tables()
    # From an empty database, as CI does: the permissions post_migrate made would not fit
    # back into auth's first, shorter name column on PostgreSQL (it checks lengths).
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    _migrate([(app, None) for app in apps])
    assert _casebook_tables() == set()
    assert _executor().loader.applied_migrations == {}
    _migrate(_latest())
    executor = _executor()
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert Topic.objects.exists()


@pytest.mark.usefixtures("back_at_the_latest_state")
def test_the_history_sets_go_back_to_their_old_tables_and_return():
    case = CaseFactory()
    session = SessionFactory(case=case)
    topic = Topic.objects.order_by("code").first()
    colleague = UserFactory()
    case.topics.add(topic)
    case.co_counselors.add(colleague)
    case.save()  # a history row recording both sets
    recorded = case.history.order_by("-history_id").first()
    assert recorded.topics == [topic.pk] and recorded.co_counselors == [colleague.pk]

    _migrate([("intake", "0004_reminder_indexes"), ("referrals", None)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT case_id, topic_id FROM intake_historicalcase_topics WHERE history_id = %s",
            [recorded.history_id],
        )
        assert cursor.fetchall() == [(case.pk, topic.pk)]
        cursor.execute(
            "SELECT user_id FROM intake_historicalcase_co_counselors WHERE history_id = %s",
            [recorded.history_id],
        )
        assert cursor.fetchall() == [(colleague.pk,)]

    _migrate(_latest())
    again = Case.history.get(history_id=recorded.history_id)
    assert again.topics == [topic.pk] and again.co_counselors == [colleague.pk]
    assert ConsultationSession.objects.filter(pk=session.pk).exists()


@pytest.mark.usefixtures("back_at_the_latest_state")
def test_the_sessions_take_their_cases_confidentiality_when_the_column_is_added():
    from casebook.intake.selectors.sessions import sessions_apart_from_their_case

    sessions = {
        level: SessionFactory.create_batch(2, case=CaseFactory(confidentiality=level))
        for level in ("normal", "confidential", "restricted")
    }
    _migrate([("intake", "0020_my_cases_lead_indexes")])
    _migrate(_latest())
    for level, rows in sessions.items():
        for session in rows:
            session.refresh_from_db()
            assert session.case_confidentiality == level
    assert not sessions_apart_from_their_case().exists()
