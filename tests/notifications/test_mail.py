"""E-mail: immediately or in the daily digest (Japanese, grouped by kind), never about what
the reader may no longer see; unsubscribe from the digest by a signed link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse

from casebook.accounts.models import DeskRole
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case
from casebook.notifications import services
from casebook.notifications.models import DigestDelivery, MailState, Notification
from casebook.notifications.services import unsubscribe_token
from tests.factories import CaseFactory, SessionFactory, desk, member
from tests.notifications.helpers import WEDNESDAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    return member("yorozu", DeskRole.COUNSELOR, username="reader", email="reader@example.jp")


@pytest.fixture
def case_of(reader):
    def make(title: str = "新商品の販路開拓", **kwargs):
        return CaseFactory(
            desk=desk("yorozu"), status="active", lead_counselor=reader, title=title, **kwargs
        )

    return make


def choose(user, **deliveries: str) -> None:
    services.notification_settings_update(
        user=user, deliveries=deliveries, digest_enabled=True, by=user
    )


def lose_sight(case, *, lead) -> None:
    """The case goes on the exit track under another lead: its former lead may not see it."""
    Case.objects.filter(pk=case.pk).update(
        confidentiality="restricted", on_exit_track=True, lead_counselor=lead
    )


# --- immediately ----------------------------------------------------------------------------


def test_a_kind_chosen_immediately_is_mailed_by_the_next_mail_run(reader, case_of):
    choose(reader, updated="immediately")
    case = case_of()
    publish_case_event(case, "updated", notify_user_ids={reader.pk})

    outcome = services.mail_send_immediate()

    assert outcome.sent == 1
    [message] = mail.outbox
    assert message.to == ["reader@example.jp"]
    assert case.number in message.subject
    assert "様" in message.body and case.title in message.body
    assert f"/notifications/{Notification.objects.get().pk}/" in message.body
    assert Notification.objects.get().mail_state == MailState.SENT
    assert services.mail_send_immediate().sent == 0
    assert len(mail.outbox) == 1


def test_no_mail_about_a_case_the_reader_lost_sight_of_before_it_was_sent(reader, case_of, cast):
    choose(reader, updated="immediately")
    case = case_of(title="廃業の相談")
    publish_case_event(case, "updated", notify_user_ids={reader.pk})
    lose_sight(case, lead=cast.exit_team)

    services.mail_send_immediate()

    assert mail.outbox == []
    assert Notification.objects.get().mail_state == MailState.WITHHELD


def test_a_kind_turned_off_is_not_mailed(reader, case_of):
    choose(reader, updated="off")
    publish_case_event(case_of(), "updated", notify_user_ids={reader.pk})

    services.mail_send_immediate()
    services.mail_send_digests(day=WEDNESDAY)

    assert mail.outbox == []
    assert Notification.objects.get().mail_state == MailState.NONE


def test_a_reader_without_an_address_gets_no_mail(cast, led_case):
    choose(cast.counselor, updated="immediately")
    publish_case_event(led_case, "updated", notify_user_ids={cast.counselor.pk})

    services.mail_send_immediate()

    assert mail.outbox == []


# --- the daily digest -----------------------------------------------------------------------


def test_the_digest_groups_by_kind_in_japanese(reader, case_of):
    first, second = case_of("資金繰りの相談"), case_of("商標出願の相談")
    publish_case_event(first, "held", notify_user_ids={reader.pk})
    publish_case_event(second, "updated", notify_user_ids={reader.pk})
    publish_case_event(first, "updated", notify_user_ids={reader.pk})
    SessionFactory(case=second, follow_up_on=WEDNESDAY)
    services.reminders_run(today=WEDNESDAY)

    assert services.mail_send_digests(day=WEDNESDAY).sent == 1

    [message] = mail.outbox
    body = message.body
    assert "日次まとめ" in message.subject and "4件" in message.subject
    assert "未読の通知が4件あります。" in body
    # Reminders first, then the case events, each kind once with its items under it.
    reminder = body.index("■ フォローアップ予定日の到来 (1)")
    held = body.index("■ 保留 (1)")
    edited = body.index("■ 案件情報の編集 (2)")
    assert reminder < edited and reminder < held
    section = body[edited : body.index("--", edited)]
    assert first.title in section and second.title in section
    assert body.count("■") == 3
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")


def test_a_second_digest_the_same_day_sends_nothing(reader, case_of):
    publish_case_event(case_of(), "updated", notify_user_ids={reader.pk})
    services.mail_send_digests(day=WEDNESDAY)
    publish_case_event(case_of("別の相談"), "updated", notify_user_ids={reader.pk})

    again = services.mail_send_digests(day=WEDNESDAY)
    next_day = services.mail_send_digests(day=WEDNESDAY + dt.timedelta(days=1))

    assert (again.sent, next_day.sent) == (0, 1)
    assert len(mail.outbox) == 2
    assert DigestDelivery.objects.filter(user=reader).count() == 2


def test_the_digest_leaves_out_what_was_read_and_what_is_out_of_sight(reader, case_of, cast):
    read_case, gone_case, kept_case = case_of("既読"), case_of("廃業の相談"), case_of("残る相談")
    for case in (read_case, gone_case, kept_case):
        publish_case_event(case, "updated", notify_user_ids={reader.pk})
    services.notification_mark_read(
        notification=Notification.objects.get(subject_id=read_case.pk), by=reader
    )
    lose_sight(gone_case, lead=cast.exit_team)

    services.mail_send_digests(day=WEDNESDAY)

    [message] = mail.outbox
    assert "残る相談" in message.body
    assert "既読" not in message.body
    assert "廃業" not in message.body and gone_case.number not in message.body
    assert "未読の通知が1件あります。" in message.body


def test_nobody_who_lost_sight_of_every_item_gets_a_digest(reader, case_of, cast):
    case = case_of("廃業の相談")
    publish_case_event(case, "updated", notify_user_ids={reader.pk})
    lose_sight(case, lead=cast.exit_team)

    assert services.mail_send_digests(day=WEDNESDAY).sent == 0
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()


# --- unsubscribe and preferences ------------------------------------------------------------


def test_the_signed_link_asks_then_stops_the_digest(reader, case_of):
    link = reverse("notifications:unsubscribe", args=[unsubscribe_token(reader)])
    publish_case_event(case_of(), "updated", notify_user_ids={reader.pk})
    anonymous = WebClient(enforce_csrf_checks=True)

    asked = anonymous.get(link)
    assert asked.status_code == 200
    assert Notification.objects.get().mail_state == MailState.DIGEST
    done = anonymous.post(link)

    assert done.status_code == 200
    assert "停止しました" in done.content.decode()
    assert Notification.objects.get().mail_state == MailState.WITHHELD
    reader.notification_settings.refresh_from_db()
    assert reader.notification_settings.digest_enabled is False
    assert reader.notification_settings.history.first().history_user == reader
    services.mail_send_digests(day=WEDNESDAY)
    assert mail.outbox == []


def test_a_forged_unsubscribe_link_is_not_found(reader):
    token = unsubscribe_token(reader)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert WebClient().post(reverse("notifications:unsubscribe", args=[forged])).status_code == 404


def test_the_preferences_screen_saves_one_choice_per_kind(reader, django_assert_max_num_queries):
    client = WebClient()
    client.force_login(reader)
    url = reverse("notifications:preferences")
    with django_assert_max_num_queries(8):
        page = client.get(url)
    assert "フォローアップ予定日の到来" in page.content.decode()

    form = page.context["form"]
    data = {name: "digest" for name in form.fields if name.startswith("kind_")}
    data |= {"kind_ip_grace_period": "immediately", "kind_updated": "off", "digest_enabled": "on"}
    response = client.post(url, data)

    assert response.status_code == 302
    reader.notification_settings.refresh_from_db()
    assert reader.notification_settings.deliveries == {
        "ip_grace_period": "immediately",
        "updated": "off",
    }
    assert reader.notification_settings.history.count() == 1


def test_an_unknown_delivery_is_an_error_naming_the_field(reader):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.notification_settings_update(
            user=reader, deliveries={"updated": "weekly"}, digest_enabled=True, by=reader
        )

    assert "deliveries" in error.value.message_dict
    assert not hasattr(reader, "notification_settings") or reader.notification_settings.pk is None
