"""The head office and the satellite offices (docs/rules.md, "Offices and satellites")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OfficeKind(models.TextChoices):
    HEAD = "head", _("head office")
    SATELLITE = "satellite", _("satellite office")


class Office(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OfficeKind.choices)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    municipality = models.CharField(_("municipality"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)
    schedule_note = models.CharField(
        _("consultation days"),
        max_length=200,
        blank=True,
        help_text=_("e.g. 2nd and 4th Tuesday, 10:00–16:00"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active_until__isnull=True)
                | models.Q(active_from__isnull=True)
                | models.Q(active_until__gte=models.F("active_from")),
                name="office_active_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name
