"""A login's API tokens end with its password and its activity (docs/security.md, finding 8):
whoever changes the password (the password form, the admin, `changepassword`) or deactivates
the login revokes every token, whatever path saved the user."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save

from casebook.accounts.models import User
from casebook.api.services import RevokedBecause, tokens_revoke_all


def _note_credential_change(sender: type, instance: User, **kwargs: Any) -> None:
    # `_password` holds the new raw password from `set_password` until the save completes.
    if instance.pk is None:
        return
    if getattr(instance, "_password", None) is not None:
        instance._casebook_tokens_end = RevokedBecause.PASSWORD_CHANGED
    elif not instance.is_active:
        instance._casebook_tokens_end = RevokedBecause.DEACTIVATED


def _revoke_tokens(sender: type, instance: User, created: bool, **kwargs: Any) -> None:
    because = instance.__dict__.pop("_casebook_tokens_end", None)
    if because is not None:
        tokens_revoke_all(user=instance, because=because)


def connect() -> None:
    pre_save.connect(_note_credential_change, sender=User, dispatch_uid="api-token-note")
    post_save.connect(_revoke_tokens, sender=User, dispatch_uid="api-token-revoke")
