"""Parsing and rendering of clients, cases and sessions. No rules here: services decide."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from casebook.api.filters import MAX_ID
from casebook.api.rows import Plan, RenderedList, RowListSerializer, plan_of, render_row
from casebook.common.models import link_order
from casebook.intake.models import (
    CLIENT_INPUT_FIELDS,
    CONTACT_INPUT_FIELDS,
    IP_INPUT_FIELDS,
    LIFECYCLE_FIELDS,
    SUBCONTRACT_INPUT_FIELDS,
    AdrState,
    Case,
    Client,
    ClientContact,
    ClientKind,
    ClosureReason,
    Confidentiality,
    ConsultationSession,
    DisputeType,
    Industry,
    IntakeChannel,
    IpDetails,
    IpRight,
    Priority,
    SessionMode,
    SubcontractDetails,
    Topic,
    grace_period,
)

MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1


def _id(**kwargs: object) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["code", "name"]
        read_only_fields = fields


# Clients -----------------------------------------------------------------------------------


class ClientSerializer(serializers.ModelSerializer):
    industry = serializers.ChoiceField(choices=Industry.choices, allow_blank=True, read_only=True)
    email = serializers.CharField(read_only=True, help_text="E-mail address, or empty.")

    class Meta:
        model = Client
        fields = ["id", *CLIENT_INPUT_FIELDS, "size_class", "version", "created_at", "updated_at"]
        read_only_fields = fields


class ClientInputSerializer(serializers.Serializer):
    """Client fields as typed; NFKC, 法人番号 and duplicates are the service's business."""

    kind = serializers.ChoiceField(choices=ClientKind.choices)
    name = serializers.CharField(max_length=200)
    name_kana = serializers.CharField(max_length=200, required=False, allow_blank=True)
    corporate_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    representative = serializers.CharField(max_length=100, required=False, allow_blank=True)
    industry = serializers.ChoiceField(choices=Industry.choices, required=False, allow_blank=True)
    capital_yen = serializers.IntegerField(
        min_value=0, max_value=MAX_BIGINT, required=False, allow_null=True
    )
    employees = serializers.IntegerField(
        min_value=0, max_value=MAX_INT, required=False, allow_null=True
    )
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    prefecture = serializers.CharField(max_length=10, required=False, allow_blank=True)
    municipality = serializers.CharField(max_length=50, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    has_innovation_plan = serializers.BooleanField(required=False)


class ClientCreateSerializer(ClientInputSerializer):
    allow_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="Register even though a client with the same name and phone exists.",
    )


class ClientUpdateSerializer(ClientInputSerializer):
    allow_duplicate = serializers.BooleanField(required=False, default=True, write_only=True)


class ContactSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="E-mail address, or empty.")

    class Meta:
        model = ClientContact
        fields = ["id", "client", *CONTACT_INPUT_FIELDS, "version"]
        read_only_fields = fields


class ContactInputSerializer(serializers.Serializer):
    """PATCH any subset; one primary per client is the service's business."""

    name = serializers.CharField(max_length=100)
    name_kana = serializers.CharField(max_length=100, required=False, allow_blank=True)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)


# Desk details ------------------------------------------------------------------------------


class SubcontractDetailsSerializer(serializers.ModelSerializer):
    """The dispute desk's own fields of a case (only in that desk's cases)."""

    class Meta:
        model = SubcontractDetails
        fields = ["anonymous", *SUBCONTRACT_INPUT_FIELDS, "version"]
        read_only_fields = fields


class IpDetailsSerializer(serializers.ModelSerializer):
    """The IP desk's own fields of a case, with the novelty grace period derived from them."""

    # Its methods read the details alone, never the request: its reading plan is made once
    # for the class (`casebook.api.rows`), not once per list.
    reads_the_request = False

    grace_period_ends_on = serializers.SerializerMethodField()
    grace_period_urgency = serializers.SerializerMethodField()

    class Meta:
        model = IpDetails
        fields = [*IP_INPUT_FIELDS, "grace_period_ends_on", "grace_period_urgency", "version"]
        read_only_fields = fields

    def get_grace_period_ends_on(self, details: IpDetails) -> str | None:
        if not details.invention_disclosed_on:
            return None
        return grace_period(details.invention_disclosed_on).deadline.isoformat()

    def get_grace_period_urgency(self, details: IpDetails) -> str | None:
        if not details.invention_disclosed_on:
            return None
        return grace_period(details.invention_disclosed_on).urgency or None


class SubcontractDetailsInputSerializer(serializers.Serializer):
    """PATCH any subset. The METI date needs the breach flag, ADR moves along its states:
    the service checks both, as for the web form."""

    counterpart_company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    dispute_type = serializers.ChoiceField(
        choices=DisputeType.choices, required=False, allow_blank=True
    )
    law_breach_suspected = serializers.BooleanField(required=False)
    forwarded_to_meti_on = serializers.DateField(required=False, allow_null=True)
    free_lawyer_consultation = serializers.BooleanField(required=False)
    adr_state = serializers.ChoiceField(choices=AdrState.choices, required=False, allow_blank=True)
    adr_filed_on = serializers.DateField(required=False, allow_null=True)


class IpDetailsInputSerializer(serializers.Serializer):
    invention_disclosed_on = serializers.DateField(required=False, allow_null=True)
    rights_sought = serializers.ListField(
        child=serializers.ChoiceField(choices=IpRight.choices), required=False, max_length=10
    )
    foreign_filing_countries = serializers.ListField(
        child=serializers.CharField(max_length=2, min_length=2), required=False, max_length=60
    )
    filing_outcome = serializers.CharField(max_length=200, required=False, allow_blank=True)


DESK_DETAILS = {
    "subcontract": ("subcontract", SubcontractDetails, SubcontractDetailsSerializer),
    "ip": ("ip", IpDetails, IpDetailsSerializer),
}


def desk_details_of(
    case: Case | dict, renderers: dict[Any, Plan | dict[str, Any]] | None = None
) -> dict | None:
    """The representation of the case's desk details; None at a desk that records none.

    `case`: a case, or a row of the case list read as values (its desk's code as `desk__code`,
    its details under the relation's name, `casebook.api.rows.ListedOne`). `renderers` keeps
    one reading plan per desk across the rows of a list (building a model serializer, its
    fields copied from the class, for every row cost more than rendering it), and each desk's
    defaults once rendered (under `(code, None)`).
    """
    as_values = isinstance(case, dict)
    code = case["desk__code"] if as_values else case.desk.code
    entry = DESK_DETAILS.get(code)
    if entry is None:
        return None
    attribute, model, serializer = entry
    details = case.get(attribute) if as_values else getattr(case, attribute, None)
    missing = details is None
    if missing:
        if renderers is not None and (code, None) in renderers:
            # The defaults rendered for an earlier row of the list: a row without its
            # details renders nothing of its case (about 25 µs a row to build again).
            return dict(renderers[code, None])
        # A case of the desk without its row yet renders the defaults.
        details = model(case_id=case["id"]) if as_values else model(case=case)
    if renderers is None:
        return serializer(details).data
    plan = renderers.get(code)
    if plan is None:
        # Each field's way to its value, asked once for the list (`casebook.api.rows`): DRF's
        # walk of every field of every row was most of a dispute desk's page of cases
        # (docs/performance.md, "Rules built once per login").
        plan = renderers[code] = plan_of(serializer())
    rendered = render_row(details, plan)
    if missing:
        renderers[code, None] = dict(rendered)
    return rendered


class ListedManyField(serializers.ManyRelatedField):
    """A many-to-many field that reads the list a list left on the object (`listed`: its
    members already rendered, `casebook.api.rows.read_sets`, or model instances of a
    `Prefetch(..., to_attr=listed)`) when there is one, else the relation."""

    # A `RenderedList` is rendered as it is (`casebook.api.rows`: a list of values rows
    # renders its sets without asking the field).
    renders_listed_as_read = True

    def __init__(self, *, listed: str, relation: Any = None, **kwargs: object) -> None:
        self.listed = listed
        # A many-to-many relation whose members are listed in the order their links were
        # written, as on the pages (`casebook.common.models.link_order`).
        self.relation = relation
        super().__init__(**kwargs)

    def get_attribute(self, instance: object) -> object:
        rows = getattr(instance, "__dict__", {}).get(self.listed)
        if rows is not None:
            return rows
        members = super().get_attribute(instance)
        prefetched = getattr(instance, "_prefetched_objects_cache", {})
        if self.relation is None or self.relation.field.name in prefetched:
            # The services prefetch the members in link order (`in_link_order`).
            return members
        return members.order_by(link_order(self.relation))

    def to_representation(self, iterable: object) -> list:
        # A list's sets are read already rendered (casebook.api.rows.read_sets).
        if isinstance(iterable, RenderedList):
            return list(iterable)
        return super().to_representation(iterable)


class ListedCharField(serializers.CharField):
    """A read-only text that a list's query selected as a column of its own (`listed`, an
    annotation) when it did, else read through `source` (e.g. `client.name` of a case read
    alone)."""

    def __init__(self, *, listed: str, **kwargs: object) -> None:
        self.listed = listed
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance: object) -> object:
        values = getattr(instance, "__dict__", {})
        if self.listed in values:
            return values[self.listed]
        return super().get_attribute(instance)


# Cases -------------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    desk = serializers.SlugRelatedField(slug_field="code", read_only=True)
    client_name = ListedCharField(listed="listed_client_name", source="client.name", default=None)
    topics = ListedManyField(
        listed="topic_list",
        child_relation=serializers.SlugRelatedField(slug_field="code", read_only=True),
        read_only=True,
    )
    co_counselors = ListedManyField(
        listed="co_counselor_list",
        relation=Case.co_counselors,
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True),
        read_only=True,
    )
    closure_reason = serializers.ChoiceField(
        choices=ClosureReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "desk",
            "fiscal_year",
            "client",
            "client_name",
            "title",
            "topics",
            "intake_channel",
            "intake_office",
            "status",
            "priority",
            "confidentiality",
            "on_exit_track",
            "lead_counselor",
            "co_counselors",
            *LIFECYCLE_FIELDS,
            "hold_reason",
            "resume_by",
            "version",
            "updated_at",
        ]
        read_only_fields = fields
        # A list reads each field's way to its value once, not once per row (casebook.api.rows).
        list_serializer_class = RowListSerializer

    def to_representation(self, case: Case) -> dict:
        return self.complete(case, super().to_representation(case))

    def complete(self, case: Case | dict, data: dict) -> dict:
        """`desk_details` only in the cases of the desks that record them (dispute, IP)."""
        # One renderer per desk for all the rows of a list (this serializer is the list's
        # one child).
        renderers = self.__dict__.setdefault("_detail_renderers", {})
        details = desk_details_of(case, renderers)
        if details is not None:
            data["desk_details"] = details
        return data


class CaseCreateSerializer(serializers.Serializer):
    desk = serializers.SlugField(max_length=32, help_text="Desk code, e.g. yorozu.")
    client = _id(required=False, allow_null=True, help_text="Empty only at the subcontract desk.")
    title = serializers.CharField(max_length=200)
    topics = serializers.ListField(
        child=serializers.SlugField(max_length=40), required=False, max_length=30
    )
    intake_channel = serializers.ChoiceField(choices=IntakeChannel.choices)
    intake_office = _id(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices,
        required=False,
        help_text="Defaults to the desk's; restricted comes only with the exit track.",
    )
    opened_at = serializers.DateTimeField(required=False)
    lead_counselor = _id(required=False, allow_null=True)


class CaseUpdateSerializer(serializers.Serializer):
    """PUT replaces all of these; PATCH any subset. Status changes are actions, not edits."""

    title = serializers.CharField(max_length=200)
    topics = serializers.ListField(child=serializers.SlugField(max_length=40), max_length=30)
    priority = serializers.ChoiceField(choices=Priority.choices)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices)
    co_counselors = serializers.ListField(child=_id(), max_length=30)


class AssignSerializer(serializers.Serializer):
    counselor = _id(help_text="The user id of the new lead counselor.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class HoldSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    resume_by = serializers.DateField()


class ResumeSerializer(serializers.Serializer):
    pass


class CloseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    summary = serializers.CharField(max_length=10_000)
    duplicate_of = _id(required=False, allow_null=True, help_text="The surviving case's id.")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000)


# Sessions ----------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)
    counselors = ListedManyField(
        listed="counselor_list",
        relation=ConsultationSession.counselors,
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True),
        read_only=True,
    )
    topics = ListedManyField(
        listed="topic_list",
        child_relation=serializers.SlugRelatedField(slug_field="code", read_only=True),
        read_only=True,
    )

    class Meta:
        model = ConsultationSession
        fields = [
            "id",
            "case",
            "case_number",
            "started_at",
            "duration_minutes",
            "mode",
            "office",
            "counselors",
            "client_attendees",
            "topics",
            "summary",
            "advice",
            "client_next_actions",
            "our_next_actions",
            "follow_up_on",
            "created_by",
            "created_at",
            "version",
        ]
        read_only_fields = fields
        # As the case list: one reading plan for all the rows (casebook.api.rows).
        list_serializer_class = RowListSerializer


class _SessionFields(serializers.Serializer):
    started_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=720)
    mode = serializers.ChoiceField(choices=SessionMode.choices)
    office = _id(required=False, allow_null=True)
    counselors = serializers.ListField(child=_id(), required=False, max_length=30)
    topics = serializers.ListField(
        child=serializers.SlugField(max_length=40), required=False, max_length=30
    )
    client_attendees = serializers.CharField(max_length=200, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=20_000)
    advice = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    client_next_actions = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    our_next_actions = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    follow_up_on = serializers.DateField(required=False, allow_null=True)


class SessionCreateSerializer(_SessionFields):
    case = _id(help_text="The case the session belongs to.")


class SessionUpdateSerializer(_SessionFields):
    reason = serializers.CharField(
        max_length=2_000,
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        help_text="Required once a session is older than 7 days (the edit becomes an amendment).",
    )
