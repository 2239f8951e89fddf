"""The inbox: what reaches a user is stored, re-checked when shown, opened and marked read."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from casebook.intake import services as case_services
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case
from casebook.notifications import selectors, services
from casebook.notifications.models import MailState, Notification
from tests.factories import CaseFactory, SessionFactory, desk
from tests.notifications.helpers import WEDNESDAY

pytestmark = pytest.mark.django_db


def web(user) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def test_an_assignment_is_stored_in_the_new_leads_inbox(cast):
    case = CaseFactory(desk=desk("yorozu"), title="資金繰りの相談")

    case_services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)

    stored = Notification.objects.get(recipient=cast.counselor)
    assert (stored.kind, stored.subject_type, stored.subject_id) == (
        "assigned",
        "intake.case",
        case.pk,
    )
    assert stored.read_at is None
    assert stored.mail_state == MailState.DIGEST
    assert not Notification.objects.exclude(recipient=cast.counselor).exists()


def test_an_event_about_a_case_the_user_may_not_see_is_not_stored(cast):
    restricted = CaseFactory(desk=desk("yorozu"), confidentiality="restricted", on_exit_track=True)

    publish_case_event(restricted, "updated", notify_user_ids={cast.counselor.pk})

    assert not Notification.objects.exists()


def test_a_change_that_rolls_back_leaves_no_notification(cast):
    from django.db import transaction

    case = CaseFactory(desk=desk("yorozu"))
    with pytest.raises(RuntimeError), transaction.atomic():
        case_services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)
        raise RuntimeError("the request failed after the assignment")

    assert not Notification.objects.exists()


def test_the_text_speaks_the_readers_language_and_names_the_case(cast):
    case = CaseFactory(desk=desk("yorozu"), title="商標出願の相談")
    case_services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)
    rows, _ = selectors.notification_page(user=cast.counselor)
    from django.utils import translation

    with translation.override("en"):
        english = selectors.inbox_entries(user=cast.counselor, notifications=rows)[0]
    with translation.override("ja"):
        japanese = selectors.inbox_entries(user=cast.counselor, notifications=rows)[0]

    assert english.text == f"{case.number} 商標出願の相談: you are now the lead counselor"
    assert japanese.text.startswith(f"{case.number} 商標出願の相談")
    assert japanese.text != english.text
    assert english.url == f"/cases/{case.pk}/"


def test_a_notification_about_a_case_no_longer_visible_shows_only_that_it_is_gone(cast):
    case = CaseFactory(desk=desk("yorozu"), title="廃業の相談")
    case_services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)
    Case.objects.filter(pk=case.pk).update(
        confidentiality="restricted", on_exit_track=True, lead_counselor=cast.exit_team
    )

    page = web(cast.counselor).get(reverse("notifications:inbox"))
    entry = selectors.inbox_entry_for_user(
        user=cast.counselor, notification=Notification.objects.get()
    )

    assert entry.gone and entry.url == ""
    assert "廃業の相談" not in page.content.decode()
    assert case.number not in page.content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(cast, led_case):
    publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})
    notification = Notification.objects.get()

    response = web(cast.counselor).get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{led_case.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_a_notification_about_a_case_now_out_of_sight_says_it_is_gone(cast, led_case):
    publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})
    Case.objects.filter(pk=led_case.pk).update(
        confidentiality="restricted", on_exit_track=True, lead_counselor=cast.exit_team
    )
    notification = Notification.objects.get()

    response = web(cast.counselor).get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 200
    assert led_case.title not in response.content.decode()
    assert "閲覧できなくなりました" in response.content.decode()


def test_another_users_notification_is_not_found(cast, led_case):
    publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})
    notification = Notification.objects.get()
    coordinator = web(cast.coordinator)

    assert coordinator.get(reverse("notifications:open", args=[notification.pk])).status_code == (
        404
    )
    assert (
        coordinator.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    )
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_clears_the_unread_count(cast, led_case):
    for kind in ("updated", "held", "resumed"):
        publish_case_event(led_case, kind, notify_user_ids={cast.counselor.pk})
    client = web(cast.counselor)
    assert selectors.unread_count(user=cast.counselor) == 3

    response = client.post(reverse("notifications:read_all"))

    assert response.status_code == 302
    assert selectors.unread_count(user=cast.counselor) == 0


def test_the_nav_shows_the_unread_count_on_every_page(cast, led_case):
    publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})
    publish_case_event(led_case, "held", notify_user_ids={cast.counselor.pk})

    page = web(cast.counselor).get(reverse("home")).content.decode()

    assert 'class="badge inbox-count" data-unread="2"' in page
    assert reverse("notifications:tray") in page


def test_the_unread_count_stops_at_its_cap(cast, led_case):
    Notification.objects.bulk_create(
        Notification(
            recipient=cast.counselor, kind="updated", subject_type="intake.case", subject_id=1
        )
        for _ in range(selectors.UNREAD_COUNT_CAP + 5)
    )

    assert selectors.unread_count(user=cast.counselor) == selectors.UNREAD_COUNT_CAP
    page = web(cast.counselor).get(reverse("notifications:inbox")).content.decode()
    assert "99+" in page


def test_the_inbox_pages_newest_first_and_filters_unread(cast, led_case):
    for _ in range(30):
        publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})
    newest = Notification.objects.order_by("-created_at", "-id").first()
    services.notification_mark_read(notification=newest, by=cast.counselor)
    client = web(cast.counselor)

    first = client.get(reverse("notifications:inbox"))
    last_id = first.context["next_before"]
    second = client.get(reverse("notifications:inbox"), {"before": last_id})
    unread = client.get(reverse("notifications:inbox"), {"unread": "1"})

    assert first.context["entries"][0].id == newest.pk
    assert len(first.context["entries"]) == selectors.PAGE_SIZE and first.context["more"]
    assert len(second.context["entries"]) == 30 - selectors.PAGE_SIZE
    assert not second.context["more"]
    assert newest.pk not in [e.id for e in unread.context["entries"]]


def test_the_inbox_screen_costs_the_same_whatever_it_holds(
    cast, led_case, django_assert_max_num_queries
):
    other = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)
    SessionFactory(case=other, follow_up_on=WEDNESDAY)
    services.reminders_run(today=WEDNESDAY)
    for _ in range(40):
        publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})
    client = web(cast.counselor)
    client.get(reverse("notifications:inbox"))

    with django_assert_max_num_queries(11):
        assert client.get(reverse("notifications:inbox")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("notifications:tray")).status_code == 200
    notification = Notification.objects.filter(recipient=cast.counselor).first()
    with django_assert_max_num_queries(9):
        client.get(reverse("notifications:open", args=[notification.pk]))


def test_a_bad_cursor_is_ignored(cast):
    response = web(cast.counselor).get(reverse("notifications:inbox"), {"before": "x" * 40})

    assert response.status_code == 200


def test_reminders_and_events_open_their_own_objects(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)
    services.reminders_run(today=WEDNESDAY)
    entry = selectors.inbox_entry_for_user(
        user=cast.counselor, notification=Notification.objects.get(kind="follow_up_due")
    )

    assert entry.url == f"/cases/{led_case.pk}/"
    assert led_case.number in entry.text
    assert entry.kind_label == "フォローアップ予定日の到来"


def test_an_inbox_naming_a_restricted_case_logs_the_read_once_a_day(cast):
    from casebook.intake.models import AccessLog

    case = CaseFactory(
        desk=desk("yorozu"),
        status="active",
        lead_counselor=cast.exit_team,
        confidentiality="restricted",
        on_exit_track=True,
        title="廃業の相談",
    )
    publish_case_event(case, "updated", notify_user_ids={cast.exit_team.pk})
    client = web(cast.exit_team)

    page = client.get(reverse("notifications:inbox")).content.decode()
    client.get(reverse("notifications:tray"))

    assert case.number in page and "廃業の相談" not in page
    assert list(AccessLog.objects.values_list("user", "case", "via")) == [
        (cast.exit_team.pk, case.pk, "inbox")
    ]


def test_only_unread_entries_offer_mark_read(cast, led_case):
    publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})
    publish_case_event(led_case, "held", notify_user_ids={cast.counselor.pk})
    read = Notification.objects.filter(kind="held").get()
    services.notification_mark_read(notification=read, by=cast.counselor)

    page = web(cast.counselor).get(reverse("notifications:inbox"))

    actions = {entry.kind: entry.actions for entry in page.context["entries"]}
    assert actions == {"updated": {"open", "read"}, "held": {"open"}}
    assert page.content.decode().count(reverse("notifications:read", args=[read.pk])) == 0
