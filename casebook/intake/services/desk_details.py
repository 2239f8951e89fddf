"""Desk-specific case details: the dispute desk's ADR track and the IP desk's filings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ConflictError, TransitionNotAllowed
from casebook.common.models import ensure_version, raise_if_errors, save_tracked
from casebook.intake import policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import (
    IP_INPUT_FIELDS,
    SUBCONTRACT_INPUT_FIELDS,
    AdrState,
    Case,
    DisputeType,
    IpDetails,
    IpRight,
    SubcontractDetails,
)
from casebook.intake.services.cases import lock_case

SUBCONTRACT_DESK = "subcontract"
IP_DESK = "ip"

# ADR mediation: filed -> in_progress -> settled | not_settled | withdrawn (withdrawal at any time).
ADR_NEXT: dict[str, frozenset[str]] = {
    AdrState.NONE: frozenset({AdrState.FILED}),
    AdrState.FILED: frozenset({AdrState.IN_PROGRESS, AdrState.WITHDRAWN}),
    AdrState.IN_PROGRESS: frozenset({AdrState.SETTLED, AdrState.NOT_SETTLED, AdrState.WITHDRAWN}),
    AdrState.SETTLED: frozenset(),
    AdrState.NOT_SETTLED: frozenset(),
    AdrState.WITHDRAWN: frozenset(),
}
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _require_desk(case: Case, code: str) -> None:
    if case.desk.code != code:
        raise ConflictError(
            _("these details belong to the %(desk)s desk only") % {"desk": code},
            code="wrong_desk",
        )


@dataclass(frozen=True)
class _DeskDetails:
    """One desk's details table: its model, its desk, the fields a person enters."""

    model: type[Any]
    desk: str
    fields: tuple[str, ...]
    label: str

    def locked(
        self, case: Case, by: User, expected_version: int | None, fields: dict[str, Any]
    ) -> tuple[Case, Any]:
        """The locked case and its details row (created on first use), once the desk, the
        editor's grant and the version the caller read are checked; only the desk's input
        fields may be given."""
        case = lock_case(case)
        _require_desk(case, self.desk)
        policy.require(by, policy.Action.EDIT, case)
        details, _created = self.model.objects.get_or_create(case=case)
        ensure_version(details, expected_version)
        unknown = set(fields) - set(self.fields)
        if unknown:
            raise ValueError(f"not {self.label} desk fields: {sorted(unknown)}")
        return case, details


_DISPUTE = _DeskDetails(SubcontractDetails, SUBCONTRACT_DESK, SUBCONTRACT_INPUT_FIELDS, "dispute")
_IP = _DeskDetails(IpDetails, IP_DESK, IP_INPUT_FIELDS, "IP")


@transaction.atomic
def subcontract_details_update(
    *, case: Case, by: User, expected_version: int | None = None, **fields: Any
) -> SubcontractDetails:
    """The dispute desk's fields; `expected_version` is the details' version the caller read
    (a page or an ETag), checked under the case lock."""
    case, details = _DISPUTE.locked(case, by, expected_version, fields)
    errors: dict[str, list[ValidationError]] = {}
    today = timezone.localdate()
    if "adr_state" in fields and fields["adr_state"] != details.adr_state:
        target = fields["adr_state"]
        if target not in AdrState.values:
            errors["adr_state"] = [ValidationError(_("unknown ADR state"), code="invalid_choice")]
        elif target not in ADR_NEXT[details.adr_state]:
            raise TransitionNotAllowed(current=details.adr_state or "none", requested=target)
        elif target == AdrState.FILED and not fields.get("adr_filed_on"):
            fields["adr_filed_on"] = today
    for name, value in fields.items():
        setattr(details, name, value)
    if details.dispute_type and details.dispute_type not in DisputeType.values:
        errors["dispute_type"] = [ValidationError(_("unknown dispute type"), code="invalid_choice")]
    if details.forwarded_to_meti_on:
        if not details.law_breach_suspected:
            errors["forwarded_to_meti_on"] = [
                ValidationError(
                    _("a case is forwarded to METI only when a breach is suspected"),
                    code="no_breach_suspected",
                )
            ]
        elif details.forwarded_to_meti_on > today:
            errors["forwarded_to_meti_on"] = [
                ValidationError(_("the date cannot be in the future"), code="future")
            ]
    if details.adr_filed_on and details.adr_filed_on > today:
        errors["adr_filed_on"] = [
            ValidationError(_("the date cannot be in the future"), code="future")
        ]
    raise_if_errors(errors)
    save_tracked(details, by=by, update_fields=list(fields))
    publish_case_event(case, "details_updated")
    return details


@transaction.atomic
def ip_details_update(
    *, case: Case, by: User, expected_version: int | None = None, **fields: Any
) -> IpDetails:
    """The IP desk's fields; `expected_version` as for the dispute desk's."""
    case, details = _IP.locked(case, by, expected_version, fields)
    errors: dict[str, list[ValidationError]] = {}
    if "rights_sought" in fields:
        rights = list(dict.fromkeys(fields["rights_sought"]))
        wrong = [r for r in rights if r not in IpRight.values]
        if wrong:
            errors["rights_sought"] = [
                ValidationError(_("unknown rights: %s") % ", ".join(wrong), code="invalid_choice")
            ]
        fields["rights_sought"] = rights
    if "foreign_filing_countries" in fields:
        countries = [c.strip().upper() for c in fields["foreign_filing_countries"] if c.strip()]
        wrong = [c for c in countries if not _COUNTRY.match(c)]
        if wrong:
            errors["foreign_filing_countries"] = [
                ValidationError(
                    _("use two-letter country codes (ISO 3166), not: %s") % ", ".join(wrong),
                    code="invalid",
                )
            ]
        fields["foreign_filing_countries"] = list(dict.fromkeys(countries))
    disclosed = fields.get("invention_disclosed_on")
    if disclosed and disclosed > timezone.localdate():
        errors["invention_disclosed_on"] = [
            ValidationError(_("the disclosure date cannot be in the future"), code="future")
        ]
    raise_if_errors(errors)
    for name, value in fields.items():
        setattr(details, name, value)
    save_tracked(details, by=by, update_fields=list(fields))
    publish_case_event(case, "details_updated")
    return details
