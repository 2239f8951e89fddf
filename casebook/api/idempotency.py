"""`Idempotency-Key` on POST creates: a retried create returns the first answer, once.

The first successful (2xx) response to a key is stored with a fingerprint of the request
(method, path, body) for 24 hours, per user. A replay with the same fingerprint gets the
stored response back (`Idempotent-Replayed: true`) and creates nothing; the same key with
another body or path answers 422. Two parallel requests with one key cannot both create:
the record is written in the same transaction as the object, and the loser's transaction
(object included) rolls back on the unique constraint before it replays the winner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from casebook.api.exceptions import IdempotencyKeyReused
from casebook.api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_WINDOW = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


def request_fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    raw = f"{request.method}\n{request.path}\n{body}".encode()
    return hashlib.sha256(raw).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.response_body, status=record.status_code, headers=headers)


def _fresh_record(user_id: int, key: str) -> IdempotencyRecord | None:
    record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if record is not None and record.created_at < timezone.now() - REPLAY_WINDOW:
        record.delete()
        return None
    return record


def idempotency_records_purge(*, now: dt.datetime | None = None) -> int:
    """Delete records older than the replay window; returns how many went."""
    cutoff = (now or timezone.now()) - REPLAY_WINDOW
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class IdempotentCreateMixin:
    """Wraps the view's `create` (POST on the list route) with Idempotency-Key handling.

    Without the header a create behaves as usual. `casebook.api.viewsets.ServiceCreateMixin`
    puts it before the create it wraps.
    """

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return super().create(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationError({HEADER: [_("at most %(n)s characters") % {"n": MAX_KEY_LENGTH}]})
        fingerprint = request_fingerprint(request)
        user_id = request.user.pk
        record = _fresh_record(user_id, key)
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction.atomic():
                response = super().create(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    body = json.loads(JSONRenderer().render(response.data))
                    IdempotencyRecord.objects.create(
                        user_id=user_id,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=response.status_code,
                        response_body=body,
                        location=response.get("Location", ""),
                        created_at=timezone.now(),
                    )
        except IntegrityError:
            record = _fresh_record(user_id, key)
            if record is None:
                raise
            return _replay(record, fingerprint)
        return response
