"""Query-string filters of the intake lists. Each key is declared here; nothing else applies.

A filter naming something the user may not see (another desk, a hidden case) narrows the
already visible rows, so it yields an empty list rather than an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from casebook.api.filters import IdFilter, day_range
from casebook.common.japanese import normalize_text, search_key
from casebook.intake import selectors
from casebook.intake.models import (
    Case,
    CaseStatus,
    Client,
    ClientKind,
    Confidentiality,
    ConsultationSession,
    Industry,
    IntakeChannel,
    Priority,
    SessionMode,
)

if TYPE_CHECKING:
    from casebook.intake.selectors.cases import NewestCases


def _codes(value: str) -> list[str]:
    return [code for code in (normalize_text(v) for v in value.split(",")) if code]


class ClientFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q", max_length=200, help_text="Name, kana, 法人番号 or phone."
    )
    kind = filters.MultipleChoiceFilter(choices=ClientKind.choices)
    industry = filters.MultipleChoiceFilter(choices=Industry.choices)
    size_class = filters.MultipleChoiceFilter(
        choices=[(v, v) for v in ("large", "sme", "small", "unknown")]
    )
    corporate_number = filters.CharFilter(max_length=20, method="filter_corporate_number")
    prefecture = filters.CharFilter(max_length=10)
    municipality = filters.CharFilter(max_length=50)

    class Meta:
        model = Client
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not search_key(value):
            return queryset
        return selectors.clients_matching(queryset, value)

    def filter_corporate_number(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(corporate_number=normalize_text(value).replace("-", ""))


class CaseFilter(filters.FilterSet):
    desk = filters.CharFilter(
        method="filter_desk", max_length=200, help_text="Desk codes, comma-separated."
    )
    status = filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    priority = filters.MultipleChoiceFilter(choices=Priority.choices)
    confidentiality = filters.MultipleChoiceFilter(choices=Confidentiality.choices)
    intake_channel = filters.MultipleChoiceFilter(choices=IntakeChannel.choices)
    lead_counselor = IdFilter(field_name="lead_counselor_id")
    counselor = IdFilter(method="filter_counselor", help_text="Lead or co-counselor.")
    unassigned = filters.BooleanFilter(field_name="lead_counselor", lookup_expr="isnull")
    topic = filters.CharFilter(
        method="filter_topic", max_length=400, help_text="Topic codes, comma-separated (any)."
    )
    office = IdFilter(field_name="intake_office_id")
    client = IdFilter(field_name="client_id")
    on_exit_track = filters.BooleanFilter()
    opened_from, opened_to = day_range("opened_at", timestamp=True)
    closed_from, closed_to = day_range("closed_at", timestamp=True)
    session_from = filters.DateFilter(method="filter_noop", help_text="Has a session on/after.")
    session_to = filters.DateFilter(method="filter_noop", help_text="Has a session on/before.")
    q = filters.CharFilter(
        method="filter_q", max_length=200, help_text="Case number, title, client name or kana."
    )

    class Meta:
        model = Case
        fields: list[str] = []

    # `q` matches among these newest cases only (`filter_queryset_within`).
    within: NewestCases | None = None
    # `q` on every case is left to `matching_every_case`: a search's page is first read
    # among the newest cases, and every match is read only when they do not give it
    # (`CaseViewSet.paginate_queryset`), so its matching is not built for nothing.
    every_case_q_later: bool = False

    def filter_queryset_within(self, queryset: QuerySet, within: NewestCases) -> QuerySet:
        """The validated filters again, with `q` kept to the cases of `within`
        (`selectors.case_search_window`), as a search's page is first read
        (`CaseViewSet.paginate_queryset`): the form is not built a second time."""
        self.within = within
        try:
            return self.filter_queryset(queryset)
        finally:
            self.within = None

    def matching_every_case(self, queryset: QuerySet) -> QuerySet:
        """`queryset` (the list, its other filters applied) with `q` matched on every case:
        what `filter_q` leaves out with `every_case_q_later`."""
        return selectors.cases_matching(
            queryset, self.form.cleaned_data["q"], reader=self.request.user
        )

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        start = self.form.cleaned_data.get("session_from")
        end = self.form.cleaned_data.get("session_to")
        if start or end:
            sessions = ConsultationSession.objects.all()
            if start:
                sessions = sessions.filter(started_at__date__gte=start)
            if end:
                sessions = sessions.filter(started_at__date__lte=end)
            # One session inside the whole range, not one after `from` and another before `to`.
            queryset = queryset.filter(pk__in=sessions.values("case_id"))
        return queryset

    def filter_desk(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(desk__code__in=_codes(value))

    def filter_topic(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        through = Case.topics.through.objects.filter(topic_id__in=_codes(value))
        return queryset.filter(pk__in=through.values("case_id"))

    def filter_counselor(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        co = Case.co_counselors.through.objects.filter(user_id=value).values("case_id")
        return queryset.filter(Q(lead_counselor_id=value) | Q(pk__in=co))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """The web search's matching (`selectors.cases_matching`), on the visible cases."""
        if not search_key(value) or (self.within is None and self.every_case_q_later):
            return queryset
        return selectors.cases_matching(
            queryset, value, reader=self.request.user, within=self.within
        )


class SessionFilter(filters.FilterSet):
    case = IdFilter(field_name="case_id")
    desk = filters.CharFilter(method="filter_desk", max_length=200)
    mode = filters.MultipleChoiceFilter(choices=SessionMode.choices)
    office = IdFilter(field_name="office_id")
    counselor = IdFilter(method="filter_counselor")
    topic = filters.CharFilter(method="filter_topic", max_length=400)
    started_from, started_to = day_range("started_at", timestamp=True)
    follow_up_from, follow_up_to = day_range("follow_up_on", timestamp=False)
    q = filters.CharFilter(method="filter_q", max_length=200, help_text="Summary or advice text.")

    class Meta:
        model = ConsultationSession
        fields: list[str] = []

    def filter_desk(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The session's own copy of its case's desk: no join to the case for the filter.
        return queryset.filter(desk__code__in=_codes(value))

    def filter_counselor(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        through = ConsultationSession.counselors.through.objects.filter(user_id=value)
        return queryset.filter(pk__in=through.values("consultationsession_id"))

    def filter_topic(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        through = ConsultationSession.topics.through.objects.filter(topic_id__in=_codes(value))
        return queryset.filter(pk__in=through.values("consultationsession_id"))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not search_key(value):
            return queryset
        return selectors.sessions_matching(queryset, value)
