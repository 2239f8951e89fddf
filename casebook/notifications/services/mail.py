"""E-mail: each notification mailed at once or in the next daily digest, as its reader chose.

Mail is in Japanese. What a mail says is decided when it is sent: the reader must still be
active, have an address and see the subject (the notice subject is asked again), else the
item is withheld; an item read in the inbox before the digest is not mailed again. Items
about restricted cases name the case number only (see the intake notice subject).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from casebook.accounts.models import User
from casebook.notifications import kinds, selectors
from casebook.notifications.models import DigestDelivery, MailState, Notification
from casebook.notifications.services.preferences import delivery_of, unsubscribe_token
from casebook.notifications.services.reminders import Outcome

logger = logging.getLogger(__name__)
MAIL_LANGUAGE = "ja"
IMMEDIATE_BATCH = 200
DIGEST_USERS_BATCH = 500
DIGEST_ITEMS = 200
MAX_ATTEMPTS = 5
SUBJECT_LENGTH = 120


@dataclass(frozen=True)
class MailItem:
    kind: str
    text: str
    url: str


def absolute(path: str) -> str:
    return settings.CASEBOOK_SITE_URL.rstrip("/") + path


def _deliverable(user: User) -> bool:
    return user.is_active and bool(user.email)


def _items_for(user: User, notifications: list[Notification]) -> dict[int, MailItem]:
    """{notification id: item} for those the user may still see; texts in Japanese."""
    with translation.override(MAIL_LANGUAGE):
        entries = selectors.inbox_entries(user=user, notifications=notifications)
        return {
            entry.id: MailItem(kind=entry.kind, text=entry.text, url=absolute(entry.open_url))
            for entry in entries
            if not entry.gone
        }


def _footer_context(user: User) -> dict[str, str]:
    return {
        "preferences_url": absolute(reverse("notifications:preferences")),
        "inbox_url": absolute(reverse("notifications:inbox")),
        "name": str(user),
    }


def _message(*, user: User, subject: str, body: str, headers: dict | None = None) -> EmailMessage:
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=headers or {},
    )


# --- immediately ----------------------------------------------------------------------------


def mail_send_immediate(*, limit: int = IMMEDIATE_BATCH) -> Outcome:
    """Mail the notifications waiting to be mailed at once, oldest first (index
    `mail_immediate_queue`)."""
    outcome = Outcome()
    waiting = list(
        Notification.objects.filter(mail_state=MailState.IMMEDIATE)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if not waiting:
        return outcome
    mailer = mailers.default
    with mailer:
        for pk in waiting:
            try:
                outcome.sent += _mail_one(pk=pk, mailer=mailer)
            except Exception as error:
                logger.exception("mailing notification %s failed", pk)
                outcome.errors += 1
                outcome.lines.append(f"notification {pk}: {type(error).__name__}: {error}")
                Notification.objects.filter(pk=pk).update(mail_attempts=F("mail_attempts") + 1)
                Notification.objects.filter(
                    pk=pk, mail_state=MailState.IMMEDIATE, mail_attempts__gte=MAX_ATTEMPTS
                ).update(mail_state=MailState.FAILED)
    if outcome.sent:
        outcome.lines.append(f"{outcome.sent} mail(s) sent")
    return outcome


@transaction.atomic
def _mail_one(*, pk: int, mailer: object) -> int:
    # A queue read: a row another runner holds is skipped, not waited for; kept FOR UPDATE
    # (docs/performance.md, "Row locks: FOR NO KEY UPDATE"). Only the notification is
    # locked (`of`): its recipient's row, joined for the mail, stays free while the mail is
    # sent, for the writes that refer to that login or change it.
    notification = (
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient")
        .filter(pk=pk, mail_state=MailState.IMMEDIATE)
        .first()
    )
    if notification is None:  # another runner has it, or it was withheld meanwhile
        return 0
    user = notification.recipient
    wanted = delivery_of(selectors.settings_for_user(user=user), notification.kind)
    if wanted == "digest":
        notification.mail_state = MailState.DIGEST
        notification.save(update_fields=["mail_state"])
        return 0
    item = _items_for(user, [notification]).get(notification.pk) if _deliverable(user) else None
    if item is None or wanted == "off":
        notification.mail_state = MailState.WITHHELD
        notification.save(update_fields=["mail_state"])
        return 0
    with translation.override(MAIL_LANGUAGE):
        body = render_to_string(
            "notifications/email/notification.txt", {"item": item, **_footer_context(user)}
        )
        subject = f"[casebook] {item.text}"
    mailer.send_messages([_message(user=user, subject=subject, body=body)])  # type: ignore[attr-defined]
    notification.mail_state = MailState.SENT
    notification.mailed_at = timezone.now()
    notification.save(update_fields=["mail_state", "mailed_at"])
    return 1


# --- the daily digest -----------------------------------------------------------------------


def mail_send_digests(*, day: dt.date, limit: int = DIGEST_USERS_BATCH) -> Outcome:
    """One digest per user with mail waiting for it (index `mail_digest_queue`)."""
    outcome = Outcome()
    user_ids = list(
        Notification.objects.filter(mail_state=MailState.DIGEST)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()[:limit]
    )
    if not user_ids:
        return outcome
    mailer = mailers.default
    with mailer:
        for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
            try:
                outcome.sent += digest_send(user=user, day=day, mailer=mailer)
            except Exception as error:
                logger.exception("the digest of user %s failed", user.pk)
                outcome.errors += 1
                outcome.lines.append(f"digest of user {user.pk}: {type(error).__name__}: {error}")
    if outcome.sent:
        outcome.lines.append(f"{outcome.sent} digest(s) sent")
    return outcome


def _digest_groups(items: list[MailItem]) -> list[dict]:
    """Items grouped by kind, in the order of the kinds (reminders first)."""
    grouped: dict[str, list[MailItem]] = defaultdict(list)
    for item in items:
        grouped[item.kind].append(item)
    order = {kind.code: index for index, kind in enumerate(kinds.all_kinds())}
    return [
        {"kind": kind, "label": kinds.kind_label(kind), "items": grouped[kind]}
        for kind in sorted(grouped, key=lambda k: (order.get(k, len(order)), k))
    ]


@transaction.atomic
def digest_send(*, user: User, day: dt.date, mailer: object | None = None) -> int:
    """Mail `user` the digest of `day` (once: the unique pair user and day); 1 when sent."""
    waiting = list(
        # A queue read, as `_mail_one`'s: kept FOR UPDATE.
        Notification.objects.select_for_update(skip_locked=True)
        .filter(recipient_id=user.pk, mail_state=MailState.DIGEST)
        .order_by("created_at", "id")[:DIGEST_ITEMS]
    )
    if not waiting:
        return 0
    user_settings = selectors.settings_for_user(user=user)
    wanted = [
        n for n in waiting if n.read_at is None and delivery_of(user_settings, n.kind) != "off"
    ]
    items = _items_for(user, wanted) if _deliverable(user) else {}
    to_send = [n for n in wanted if n.pk in items]
    withheld = [n.pk for n in waiting if n.pk not in items]
    if withheld:
        Notification.objects.filter(pk__in=withheld).update(mail_state=MailState.WITHHELD)
    if not to_send:
        return 0
    try:
        with transaction.atomic():
            DigestDelivery.objects.create(user=user, day=day, items=len(to_send))
    except IntegrityError:
        return 0  # today's digest went out already; these wait for the next one
    link = absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(user)]))
    with translation.override(MAIL_LANGUAGE):
        groups = _digest_groups([items[n.pk] for n in to_send])
        body = render_to_string(
            "notifications/email/digest.txt",
            {
                "groups": groups,
                "count": len(to_send),
                "day": day,
                "unsubscribe_url": link,
                **_footer_context(user),
            },
        )
        subject = render_to_string(
            "notifications/email/digest_subject.txt", {"count": len(to_send), "day": day}
        )
    headers = {
        # One click in the mail program stops the digest (RFC 8058).
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    (mailer or mailers.default).send_messages(  # type: ignore[attr-defined]
        [_message(user=user, subject=subject, body=body, headers=headers)]
    )
    Notification.objects.filter(pk__in=[n.pk for n in to_send]).update(
        mail_state=MailState.SENT, mailed_at=timezone.now()
    )
    return 1
