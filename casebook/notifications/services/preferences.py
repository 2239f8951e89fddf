"""E-mail preferences: one delivery per user and kind, and the daily digest switch.

Unsubscribing from the digest works from a signed link in every digest, without a login
(the signature is the authority; docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.models import save_tracked
from casebook.notifications import kinds
from casebook.notifications.models import Delivery, MailState, Notification, NotificationSettings

DEFAULT_DELIVERY = Delivery.DIGEST
UNSUBSCRIBE_SALT = "casebook.notifications.digest-unsubscribe"


def deliveries_for_users(*, users: Iterable[User]) -> dict[int, dict[str, str]]:
    """{user id: {kind: delivery}} of the kinds each user changed (one query)."""
    users = list(users)
    found = dict(
        NotificationSettings.objects.filter(user__in=users).values_list("user_id", "deliveries")
    )
    return {user.pk: dict(found.get(user.pk) or {}) for user in users}


def delivery_of(settings: NotificationSettings, kind: str) -> str:
    """What `settings` say for `kind`, the digest switch included."""
    delivery = (settings.deliveries or {}).get(kind, DEFAULT_DELIVERY)
    if delivery == Delivery.DIGEST and not settings.digest_enabled:
        return Delivery.OFF
    return delivery


def _lock_settings(user: User) -> NotificationSettings:
    """The user's settings row, locked; a new unsaved one when they never chose."""
    found = NotificationSettings.objects.select_for_update(no_key=True).filter(user=user).first()
    return found if found is not None else NotificationSettings(user=user)


def _save(settings: NotificationSettings, *, by: User, fields: list[str], reason: str) -> None:
    save_tracked(settings, by=by, update_fields=fields if settings.pk else None, reason=reason)


@transaction.atomic
def notification_settings_update(
    *, user: User, deliveries: Mapping[str, str], digest_enabled: bool, by: User
) -> NotificationSettings:
    """Save `user`'s choices; an unknown kind or delivery is an error naming it."""
    if by.pk != user.pk:
        raise ValueError("users choose their own e-mail")
    known = kinds.kind_codes()
    errors: list[ValidationError] = []
    for kind, delivery in deliveries.items():
        if kind not in known:
            errors.append(
                ValidationError(_("'%(kind)s' is not a kind of notification") % {"kind": kind})
            )
        elif delivery not in Delivery.values:
            errors.append(
                ValidationError(
                    _("'%(value)s' is not one of: immediately, digest, off") % {"value": delivery}
                )
            )
    if errors:
        raise ValidationError({"deliveries": errors})
    settings = _lock_settings(user)
    settings.deliveries = {
        kind: delivery for kind, delivery in deliveries.items() if delivery != DEFAULT_DELIVERY
    }
    settings.digest_enabled = digest_enabled
    _save(settings, by=by, fields=["deliveries", "digest_enabled"], reason="preferences")
    _withhold_unwanted(user, settings)
    return settings


def _withhold_unwanted(user: User, settings: NotificationSettings) -> None:
    """Mail still waiting that the user no longer wants is not sent."""
    waiting = Notification.objects.filter(
        recipient_id=user.pk, mail_state__in=(MailState.IMMEDIATE, MailState.DIGEST)
    )
    off = [k for k, d in (settings.deliveries or {}).items() if d == Delivery.OFF]
    if off:
        waiting.filter(kind__in=off).update(mail_state=MailState.WITHHELD)
    if not settings.digest_enabled:
        waiting.filter(mail_state=MailState.DIGEST).update(mail_state=MailState.WITHHELD)


def unsubscribe_token(user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def user_from_unsubscribe_token(token: str) -> User | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return User.objects.filter(pk=data.get("u"), is_active=True).first()


@transaction.atomic
def digest_unsubscribe(*, user: User) -> NotificationSettings:
    """Stop the daily digest of `user` (the per-kind choices are kept for a later return)."""
    settings = _lock_settings(user)
    if settings.digest_enabled:
        settings.digest_enabled = False
        _save(settings, by=user, fields=["digest_enabled"], reason="unsubscribed by link")
    _withhold_unwanted(user, settings)
    return settings
