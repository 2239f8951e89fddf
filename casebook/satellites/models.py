"""The head office and the satellite offices, their consultation days, slots and bookings
(docs/rules.md, "Offices and satellites"; docs/satellites.md)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import validate_comma_separated_integer_list
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casebook.common.models import optional_fk


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
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"),
        default=60,
        help_text=_("consultation days are cut into slots of this length"),
    )
    version = models.PositiveIntegerField(default=1)

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
            ),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=10, slot_minutes__lte=240),
                name="office_slot_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_active_on(self, day: dt.date) -> bool:
        if self.active_from and day < self.active_from:
            return False
        return not (self.active_until and day > self.active_until)


class ScheduleRule(models.Model):
    """A recurrence of consultation days at an office, staffed by one counselor of the rota.

    `weekdays` are ISO-like numbers 0 (Monday) … 6 (Sunday); `weeks` the weeks of the month
    (1 = the first such weekday of the month … 5); empty `weeks` means every week. "Every 2nd
    and 4th Tuesday" is weekdays `1`, weeks `2,4`; "every weekday morning" is weekdays
    `0,1,2,3,4`, no weeks, 9:00–12:00. The rota is one rule per counselor: "2nd Tuesday,
    Sato; 4th Tuesday, Suzuki" is two rules.
    """

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="schedule_rules", verbose_name=_("office")
    )
    weekdays = models.CharField(
        _("weekdays"),
        max_length=20,
        validators=[validate_comma_separated_integer_list],
        help_text=_("0 = Monday … 6 = Sunday, comma-separated"),
    )
    weeks = models.CharField(
        _("weeks of the month"),
        max_length=20,
        blank=True,
        validators=[validate_comma_separated_integer_list],
        help_text=_("1 … 5, comma-separated; empty for every week"),
    )
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    counselor = optional_fk(
        settings.AUTH_USER_MODEL,
        related_name="satellite_rules",
        verbose_name=_("counselor on the rota"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Optimistic locking of the schedule screen (docs/satellites.md, "Schedules").
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["office", "valid_from", "pk"]
        verbose_name = _("schedule rule")
        verbose_name_plural = _("schedule rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="schedule_rule_hours_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="schedule_rule_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.weekdays}/{self.weeks or '*'} {self.starts_at}–{self.ends_at}"

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.weekdays.split(",") if p.strip())

    @property
    def week_set(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.weeks.split(",") if p.strip())

    def matches(self, day: dt.date) -> bool:
        """Whether the rule holds a consultation day on `day` (holidays aside)."""
        if day < self.valid_from or (self.valid_until and day > self.valid_until):
            return False
        if day.weekday() not in self.weekday_set:
            return False
        weeks = self.week_set
        return not weeks or (day.day - 1) // 7 + 1 in weeks


class ExceptionKind(models.TextChoices):
    EXTRA = "extra", _("extra day")
    CANCELLED = "cancelled", _("cancelled day")


class DayException(models.Model):
    """A one-off change to the schedule: an extra day (with its hours and counselor) or a
    cancelled one. Generation applies it; an extra day is held even on a holiday."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="day_exceptions", verbose_name=_("office")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=ExceptionKind.choices)
    starts_at = models.TimeField(_("from"), null=True, blank=True)
    ends_at = models.TimeField(_("until"), null=True, blank=True)
    counselor = optional_fk(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("counselor"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["office", "date"]
        verbose_name = _("extra or cancelled day")
        verbose_name_plural = _("extra and cancelled days")
        constraints = [
            models.UniqueConstraint(fields=["office", "date"], name="day_exception_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(kind="cancelled")
                | models.Q(
                    starts_at__isnull=False,
                    ends_at__isnull=False,
                    ends_at__gt=models.F("starts_at"),
                ),
                name="day_exception_extra_has_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.date} {self.get_kind_display()}"


class DayStatus(models.TextChoices):
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class ConsultationDay(models.Model):
    """One consultation day at an office, as generated from its rules and exceptions."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="days", verbose_name=_("office")
    )
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    counselor = optional_fk(
        settings.AUTH_USER_MODEL, related_name="satellite_days", verbose_name=_("counselor")
    )
    rule = optional_fk(
        ScheduleRule, on_delete=models.SET_NULL, related_name="days", verbose_name=_("rule")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DayStatus.choices, default=DayStatus.HELD
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "office"]
        verbose_name = _("consultation day")
        verbose_name_plural = _("consultation days")
        constraints = [
            models.UniqueConstraint(fields=["office", "date"], name="consultation_day_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="consultation_day_hours_ordered",
            ),
        ]
        indexes = [models.Index(fields=["date", "office"], name="sat_day_date_office")]

    def __str__(self) -> str:
        return f"{self.office} {self.date}"


class Slot(models.Model):
    """A bookable period of a consultation day. Slots are generated in bulk and never edited
    (a cancelled day takes its slots with it), so they keep no history of their own."""

    day = models.ForeignKey(
        ConsultationDay, on_delete=models.CASCADE, related_name="slots", verbose_name=_("day")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="slots", verbose_name=_("office")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    counselor = optional_fk(
        settings.AUTH_USER_MODEL, related_name="satellite_slots", verbose_name=_("counselor")
    )

    class Meta:
        ordering = ["starts_at", "office"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.UniqueConstraint(fields=["office", "starts_at"], name="slot_one_per_start"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="slot_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at", "office"], name="sat_slot_start_office"),
            models.Index(fields=["counselor", "starts_at"], name="sat_slot_counselor_start"),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.starts_at:%Y-%m-%d %H:%M}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")


# A slot holds at most one booking in these states; a cancelled booking frees it.
ACTIVE_BOOKING_STATUSES = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)

# The booking's state machine: which action leads from which state (policy reads it).
BOOKING_TRANSITIONS: dict[str, dict[str, str]] = {
    BookingStatus.BOOKED: {
        "check_in": BookingStatus.CHECKED_IN,
        "no_show": BookingStatus.NO_SHOW,
        "cancel": BookingStatus.CANCELLED,
    },
}


class BookingChannel(models.TextChoices):
    STAFF = "staff", _("by staff")
    PUBLIC = "public", _("public booking form")


class Booking(models.Model):
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("slot")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    channel = models.CharField(_("booked via"), max_length=16, choices=BookingChannel.choices)
    client = optional_fk(
        "intake.Client", related_name="satellite_bookings", verbose_name=_("client")
    )
    case = optional_fk("intake.Case", related_name="satellite_bookings", verbose_name=_("case"))
    session = models.OneToOneField(
        "intake.ConsultationSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="satellite_booking",
        verbose_name=_("session"),
    )
    # What the public form asks (staff bookings copy the client's name here).
    company_name = models.CharField(_("company name"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    topic = models.TextField(_("topic"), max_length=2000, blank=True)
    privacy_consent_at = models.DateTimeField(
        _("privacy notice accepted at"), null=True, blank=True
    )
    # The public cancellation link signs the booking id with this secret; a new secret (or
    # a booking no longer `booked`) makes every older link stale.
    cancel_secret = models.CharField(max_length=64, blank=True, editable=False)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    created_by = optional_fk(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("booked by")
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(excluded_fields=["cancel_secret"])

    class Meta:
        ordering = ["slot__starts_at", "pk"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            # The one rule that never bends: a slot is never double-booked, whatever the race.
            models.UniqueConstraint(
                fields=["slot"],
                condition=models.Q(status__in=["booked", "checked_in", "no_show"]),
                name="booking_one_active_per_slot",
                violation_error_code="slot_taken",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="checked_in") | models.Q(session__isnull=False),
                name="booking_checked_in_has_session",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "slot"], name="sat_booking_client"),
            models.Index(fields=["status", "slot"], name="sat_booking_status_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.slot} {self.company_name}"
