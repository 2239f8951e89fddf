"""Staff, desks and desk memberships: who works where, in which role.

The roles: docs/rules.md, "People and desks"."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OrgRole(models.TextChoices):
    """Organisation-wide roles; desk roles live on DeskMembership."""

    NONE = "", _("none")
    MANAGER = "manager", _("manager")
    AUDITOR = "auditor", _("auditor")
    ADMIN = "admin", _("system administrator")


class DeskRole(models.TextChoices):
    COUNSELOR = "counselor", _("counselor")
    COORDINATOR = "coordinator", _("coordinator")
    EXIT_TEAM = "exit_team", _("exit team")


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    display_name_kana = models.CharField(_("display name (kana)"), max_length=100, blank=True)
    org_role = models.CharField(
        _("organisation role"), max_length=16, choices=OrgRole.choices, blank=True, default=""
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_manager(self) -> bool:
        return self.org_role == OrgRole.MANAGER

    @property
    def is_auditor(self) -> bool:
        return self.org_role == OrgRole.AUDITOR


class Desk(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    default_confidentiality = models.CharField(
        _("default confidentiality"), max_length=16, default="normal"
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("desk")
        verbose_name_plural = _("desks")

    def __str__(self) -> str:
        return self.name


class DeskMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=DeskRole.choices)
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "desk", "role"], name="unique_desk_role"),
        ]
        verbose_name = _("desk membership")
        verbose_name_plural = _("desk memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.desk.code} · {self.role}"


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("logged in")
    LOGOUT = "logout", _("logged out")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOCKED_OUT = "locked_out", _("locked out")
    TOKEN_ISSUED = "token_issued", _("API token issued")


class SecurityEvent(models.Model):
    """A login, a logout, a failed login, a lockout or an API token exchange
    (docs/security.md, "Audit screens"); written by `accounts.services` only.

    `username` is what was typed (the login may not exist); `user` is the login it names,
    when it does. No password, token or session key is ever kept."""

    kind = models.CharField(_("event"), max_length=16, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    address = models.CharField(_("address"), max_length=45, blank=True)
    via = models.CharField(_("through"), max_length=8)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            # The security-event screen: newest first, by kind, by user name.
            models.Index(fields=["-at", "-id"], name="security_event_newest"),
            models.Index(fields=["kind", "-at", "-id"], name="security_event_kind"),
            models.Index(fields=["username", "-at", "-id"], name="security_event_username"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.username} {self.at:%Y-%m-%d %H:%M}"
