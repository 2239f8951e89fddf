"""Factories of partner organisations and referrals."""

from __future__ import annotations

import factory

from casebook.referrals.models import Partner, PartnerKind


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"partner-{n}")
    name = factory.Sequence(lambda n: f"テスト商工会議所{n}")
    name_kana = factory.Sequence(lambda n: f"テストショウコウカイギショ{n}")
    kind = PartnerKind.CHAMBER
    municipality = "水戸市"


def refer_internal(from_case, to_desk_code: str, *, by, **kwargs):
    """An internal referral made through the service, as the referrer would."""
    from casebook.referrals import services
    from tests.factories.core import desk

    kwargs.setdefault("handoff_note", "商標出願の相談をお願いします")
    return services.referral_create(
        from_case=from_case, by=by, kind="internal", to_desk=desk(to_desk_code), **kwargs
    )


def refer_external(from_case, partner, *, by, **kwargs):
    from casebook.referrals import services

    kwargs.setdefault("handoff_note", "輸出の相談先としてご紹介")
    return services.referral_create(
        from_case=from_case, by=by, kind="external", to_partner=partner, **kwargs
    )
