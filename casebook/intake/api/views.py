"""Viewsets of clients, cases (with their transitions) and sessions: each names its selectors
and calls one service per write (the rest is `casebook.api.viewsets`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from casebook.accounts.selectors import active_desk_get, active_staff_get, active_staff_in
from casebook.api.concurrency import expected_version_from
from casebook.api.filters import AllowListOrderingFilter, QueryStringFilterBackend
from casebook.api.pagination import CasebookCursorPagination, NewestRows
from casebook.api.references import resolve, resolve_many
from casebook.api.rows import ListedOne, ListedSet, plan_of, values_rows
from casebook.api.viewsets import PlainServiceWrites, ServiceViewSet, sub_list, transition
from casebook.common.errors import DomainError
from casebook.common.japanese import search_key
from casebook.common.prepared import IDS, TEXTS, PreparedRead
from casebook.intake import policy, selectors, services
from casebook.intake.api import serializers
from casebook.intake.api.filters import CaseFilter, ClientFilter, SessionFilter
from casebook.intake.api.references import CaseReadsLogged
from casebook.intake.models import (
    Case,
    Client,
    ClientContact,
    ConsultationSession,
    IpDetails,
    SubcontractDetails,
    Topic,
)
from casebook.satellites.selectors import office_get


class KeptFilterSetBackend(QueryStringFilterBackend):
    """The filter set a list built, kept on its view (`view.filterset`): a search's page
    filters again among the newest cases with the form already validated (building a filter
    set is a large part of a list's Python: docs/performance.md, "The lists' Python")."""

    def get_filterset(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        view.filterset = super().get_filterset(request, queryset, view)
        if isinstance(view.filterset, CaseFilter):
            view.filterset.every_case_q_later = view.search_reads_newest_first()
        return view.filterset


def keeping_the_filterset(backends: Sequence[type]) -> list[type]:
    """`backends` with their query-string filter kept on the view (`KeptFilterSetBackend`):
    a viewset that keeps its filter set derives its backends from its base's, so that a
    backend added to the base reaches it too."""
    return [
        KeptFilterSetBackend if backend is QueryStringFilterBackend else backend
        for backend in backends
    ]


# The sets a case and a session of a list render, read for the page at once
# (`casebook.api.rows.read_sets`): no model instance, no queryset per set.
# The sets' statements are the same on every page but for the ids (one array parameter on
# PostgreSQL): compiled once, then executed (docs/performance.md, "Statements compiled once").
def _by_ids(model: type[Model], read: Callable[..., QuerySet], keyword: str) -> PreparedRead:
    """`read(<keyword>=ids)` as a statement compiled once, the ids its one argument."""
    return PreparedRead(model, lambda ids: read(**{keyword: ids}), args=(IDS,))


CASE_SETS = (
    ListedSet("topic_list", _by_ids(Topic, selectors.case_topic_codes, "case_ids")),
    ListedSet(
        "co_counselor_list",
        _by_ids(Case.co_counselors.through, selectors.case_co_counselor_ids, "case_ids"),
    ),
)


def _of_desk(code: str) -> Callable[[dict[str, Any]], bool]:
    """The case rows of the desk `code` (a row of values carries its desk's code): the rows
    that render that desk's details (`serializers.desk_details_of`)."""
    return lambda row: row["desk__code"] == code


# How each desk's details (`serializers.DESK_DETAILS`, which names the desks) are read by case.
_DETAILS_READ = {
    SubcontractDetails: selectors.subcontract_details_of,
    IpDetails: selectors.ip_details_of,
}

# The case list's rows also carry their desk details, read by case id (two small queries)
# rather than joined: each one-to-one join added to the planning time of the list's query
# (docs/performance.md, "The lists' planning"). Each is read for its desk's rows only.
CASE_LIST_SETS = (
    *CASE_SETS,
    *(
        ListedOne(
            relation,
            model,
            _by_ids(model, _DETAILS_READ[model], "case_ids"),
            renders=_of_desk(code),
        )
        for code, (relation, model, _serializer) in serializers.DESK_DETAILS.items()
    ),
)
SESSION_SETS = (
    ListedSet(
        "counselor_list",
        _by_ids(
            ConsultationSession.counselors.through,
            selectors.session_counselor_ids,
            "session_ids",
        ),
    ),
    ListedSet(
        "topic_list",
        _by_ids(Topic, selectors.session_topic_codes, "session_ids"),
    ),
)


def _with_details(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """The desk details joined in: a dispute or IP case renders them (no query per row)."""
    return queryset.select_related("subcontract", "ip")


# Which service writes the details of each desk that records some.
_DETAIL_SERVICES = {
    "subcontract": services.subcontract_details_update,
    "ip": services.ip_details_update,
}
_DETAIL_INPUTS = {
    "subcontract": serializers.SubcontractDetailsInputSerializer,
    "ip": serializers.IpDetailsInputSerializer,
}


class ClientViewSet(PlainServiceWrites, ServiceViewSet):
    """Clients (相談者): shared by every desk, so intake can search before it creates."""

    model = Client
    serializer_class = serializers.ClientSerializer
    create_serializer_class = serializers.ClientCreateSerializer
    update_serializer_class = serializers.ClientUpdateSerializer
    filterset_class = ClientFilter
    ordering_fields = {
        "id": "id",
        "name": "name",
        "name_kana": "name_kana_search",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    ordering = ["name_kana_search"]
    list_selector = staticmethod(selectors.client_list_for_user)
    get_selector = staticmethod(selectors.client_get_for_user)
    create_service = staticmethod(services.client_create)
    update_service = staticmethod(services.client_update)
    update_keyword = "client"

    @sub_list(serializers.CaseSerializer, sets=CASE_SETS)
    def cases(self, client: Client) -> QuerySet[Case]:
        """The client's cases that the caller may see."""
        cases = selectors.cases_of_client_for_user(user=self.request.user, client=client)
        return _with_details(cases).order_by("-opened_at", "-id")

    @extend_schema(
        request=serializers.ContactInputSerializer,
        responses={
            200: serializers.ContactSerializer(many=True),
            201: serializers.ContactSerializer,
        },
        filters=False,
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def contacts(self, request: Request, pk: Any = None) -> Response:
        """The people at the client (GET, paged, newest first; `is_primary` marks the primary
        contact); POST adds one."""
        client = self.get_object()
        user = request.user
        if request.method == "GET":
            contacts = selectors.contact_list_for_user(user=user, client=client)
            return self.paginated(contacts, serializers.ContactSerializer)
        data = self.parse(serializers.ContactInputSerializer)
        contact = services.contact_create(client=client, by=user, **data)
        return Response(serializers.ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ContactInputSerializer,
        responses={200: serializers.ContactSerializer},
    )
    @action(
        detail=True,
        methods=["get", "patch"],
        url_path=r"contacts/(?P<contact_pk>[0-9]+)",
        url_name="contact",
        filter_backends=[],
    )
    def contact(self, request: Request, pk: Any = None, contact_pk: Any = None) -> Response:
        """One contact; PATCH changes it (`If-Match` with its version: 428 without, 412 when
        stale)."""
        client = self.get_object()
        contact: ClientContact = selectors.contact_get_for_user(
            user=request.user, client=client, pk=contact_pk
        )
        if request.method == "PATCH":
            expected = expected_version_from(request)
            data = self.parse(serializers.ContactInputSerializer, partial=True)
            contact = services.contact_update(
                contact=contact, by=request.user, expected_version=expected, **data
            )
        return Response(serializers.ContactSerializer(contact).data)


class CaseViewSet(CaseReadsLogged, ServiceViewSet):
    """Consultation cases (相談案件). Status changes only through the transition actions."""

    model = Case
    serializer_class = serializers.CaseSerializer
    create_serializer_class = serializers.CaseCreateSerializer
    update_serializer_class = serializers.CaseUpdateSerializer
    filterset_class = CaseFilter
    filter_backends = keeping_the_filterset(ServiceViewSet.filter_backends)
    ordering_fields = ("id", "opened_at", "number", "status", "priority", "updated_at")
    ordering = ["-opened_at"]
    listed_sets = CASE_LIST_SETS
    list_selector = staticmethod(selectors.case_rows_for_user)
    list_as_values = True
    list_pages_per_viewer = staticmethod(policy.per_viewer)

    get_selector = staticmethod(selectors.case_get_for_user)
    # Every read of a restricted case through the API is logged (docs/rules.md).
    case_of = staticmethod(lambda case: case)
    case_columns = ("id", "confidentiality")

    def paginate_queryset(self, queryset: QuerySet[Case]) -> list[Any] | None:
        """A search's page (`q`) is first read among the newest cases, where its matches
        cost what the window holds rather than what the years hold; the paginator keeps it
        only where it is the page of every match (docs/performance.md, "Search")."""
        paginator = self.paginator
        filterset = getattr(self, "filterset", None)
        if not self.search_reads_newest_first() or not isinstance(filterset, CaseFilter):
            return super().paginate_queryset(queryset)
        # The list came without `q` (`CaseFilter.every_case_q_later`): every match is
        # matched only for a page the newest cases do not give.
        return paginator.paginate_newest_first(
            queryset,
            self.request,
            self,
            field="opened_at",
            newest=self._newest_matches,
            every=lambda: filterset.matching_every_case(queryset),
        )

    def _prepared_page(self) -> Response | None:
        page = super()._prepared_page()
        return page if page is not None else self._prepared_search_page()

    def _prepared_search_page(self) -> Response | None:
        """The first page of a search for a word of one gram and nothing else (`?q=中島`,
        a page size), read as `paginate_newest_first` reads it, among the newest cases and
        then among every match, each by a statement compiled once per reader's facts, the
        word's length and the page's shape (`selectors.one_gram_rows`); None otherwise (the
        list is read through its filter set). Building them through the ORM was most of the
        search's Python (docs/performance.md, "A one-gram word's search compiled once")."""
        request, paginator = self.request, self.paginator
        params = request.query_params
        key = selectors.one_gram_key(params.get("q", ""))
        if (
            key is None
            or selectors.clients.PREPARED_SEARCH_PAGES < 1
            or not isinstance(paginator, CasebookCursorPagination)
            or not set(params) <= {"q", paginator.page_size_query_param}
            or not paginator.start_first_page(request, self, model=Case)
            or paginator.ordering[0] != "-opened_at"
        ):
            return None
        user = request.user
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        plan = plan_of(serializer_class(context=context))
        columns = (*self.row_columns(), *(order_key.name for order_key in paginator.keys))
        ordering, size, selector = paginator.ordering, paginator.page_size, self.list_selector
        shape = ("case list search", serializer_class.__qualname__, str(size), *ordering)

        # What the kept statements are built from: the reader (its facts), the shape, the
        # word and the window; nothing else of this request.
        def rows(word: str, within: selectors.NewestCases | None) -> QuerySet:
            matching = selectors.cases_matching(
                selector(user=user), word, reader=user, within=within
            )
            return values_rows(matching, plan, columns).order_by(*ordering)[: size + 1]

        within = selectors.case_search_window()
        page = None
        if within is not None:
            page = paginator.keep_first_page(
                selectors.one_gram_rows(
                    user=user,
                    key=key,
                    shape=(*shape, "newest"),
                    build=lambda word, since, months: rows(
                        word, selectors.NewestCases(opened_from=since, months=months)
                    ),
                    args=(within.opened_from, within.months),
                    kinds=(dt.datetime, TEXTS),
                )
            )
            if not paginator.has_next:
                # The newest cases do not fill the page: it is read from every match.
                page = None
        if page is None:
            page = paginator.keep_first_page(
                selectors.one_gram_rows(
                    user=user,
                    key=key,
                    shape=(*shape, "every"),
                    build=lambda word: rows(word, None),
                )
            )
        return self._rendered(page, serializer_class, context, None, own_rows=True, paged=True)

    def search_reads_newest_first(self) -> bool:
        """A list of cases with a word in `q`: its page is first read among the newest."""
        return (
            self.action == "list"
            and isinstance(self.paginator, CasebookCursorPagination)
            and bool(search_key(self.request.query_params.get("q", "")))
        )

    def _newest_matches(self) -> NewestRows | None:
        """The list, its filters and `q`, among the newest cases of the table."""
        filterset = getattr(self, "filterset", None)
        if not isinstance(filterset, CaseFilter):
            return None
        within = selectors.case_search_window()
        if within is None:
            return None
        # The list's rows as the filter set was given them (`get_queryset`, not built again).
        rows = filterset.filter_queryset_within(filterset.queryset, within)
        return NewestRows(since=within.opened_from, rows=rows)

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="DeskDetailsInput",
            serializers=[
                serializers.SubcontractDetailsInputSerializer,
                serializers.IpDetailsInputSerializer,
            ],
            resource_type_field_name=None,
        ),
        responses={
            200: PolymorphicProxySerializer(
                component_name="DeskDetails",
                serializers=[
                    serializers.SubcontractDetailsSerializer,
                    serializers.IpDetailsSerializer,
                ],
                resource_type_field_name=None,
            )
        },
        description="The dispute desk's (`subcontract`) or the IP desk's (`ip`) own fields of "
        "a case; 404 at the other desks. PATCH takes the fields of the case's desk and "
        "`If-Match` with the details' version (428 without, 412 when stale).",
    )
    @action(detail=True, methods=["get", "patch"], filter_backends=[])
    def details(self, request: Request, pk: Any = None) -> Response:
        """The desk details of a dispute or IP case; the same rules as the case page's form."""
        case = self.get_object()
        shown = serializers.desk_details_of(case)
        if shown is None:
            raise Http404("this desk records no details of its own")
        if request.method == "GET":
            return Response(shown)
        expected = expected_version_from(request)
        code = case.desk.code
        data = self.parse(_DETAIL_INPUTS[code], partial=True)
        details = _DETAIL_SERVICES[code](
            case=case, by=request.user, expected_version=expected, **data
        )
        return Response(serializers.DESK_DETAILS[code][2](details).data)

    def create_with_service(self, data: dict[str, Any]) -> Model:
        user = self.request.user
        data["desk"] = resolve("desk", active_desk_get, code=data["desk"])
        data["client"] = resolve(
            "client", selectors.client_get_for_user, user=user, pk=data.get("client")
        )
        data["intake_office"] = resolve("intake_office", office_get, pk=data.get("intake_office"))
        data["lead_counselor"] = resolve(
            "lead_counselor", active_staff_get, pk=data.get("lead_counselor")
        )
        return services.case_open(by=user, **data)

    def update_with_service(self, obj: Model, data: dict[str, Any], expected_version: int):
        if "co_counselors" in data:
            data["co_counselors"] = resolve_many(
                "co_counselors", active_staff_in, data["co_counselors"]
            )
        return services.case_update(
            case=obj, by=self.request.user, expected_version=expected_version, **data
        )

    @transition(serializers.AssignSerializer, serializers.CaseSerializer)
    def assign(self, case: Case, data: dict[str, Any], expected_version: int | None) -> Case:
        """Make a counselor the lead (coordinators; a counselor may take an intake)."""
        return services.case_assign(
            case=case,
            counselor=resolve("counselor", active_staff_get, pk=data["counselor"]),
            by=self.request.user,
            reason=data["reason"],
            expected_version=expected_version,
        )

    @transition(serializers.HoldSerializer, serializers.CaseSerializer)
    def hold(self, case: Case, data: dict[str, Any], expected_version: int | None) -> Case:
        """Wait on the client, with a reason and a resume-by date."""
        return services.case_hold(
            case=case, by=self.request.user, expected_version=expected_version, **data
        )

    @transition(serializers.ResumeSerializer, serializers.CaseSerializer)
    def resume(self, case: Case, data: dict[str, Any], expected_version: int | None) -> Case:
        """Back to the state the case was held in."""
        return services.case_resume(
            case=case, by=self.request.user, expected_version=expected_version
        )

    @transition(serializers.CloseSerializer, serializers.CaseSerializer)
    def close(self, case: Case, data: dict[str, Any], expected_version: int | None) -> Case:
        """Close with a reason and a summary; a duplicate names the surviving case."""
        user = self.request.user
        return services.case_close(
            case=case,
            by=user,
            reason=data["reason"],
            summary=data["summary"],
            duplicate_of=resolve(
                "duplicate_of", selectors.case_get_for_user, user=user, pk=data.get("duplicate_of")
            ),
            expected_version=expected_version,
        )

    @transition(serializers.ReopenSerializer, serializers.CaseSerializer)
    def reopen(self, case: Case, data: dict[str, Any], expected_version: int | None) -> Case:
        """Reopen a closed case (coordinators and managers), with a reason."""
        return services.case_reopen(
            case=case,
            by=self.request.user,
            reason=data["reason"],
            expected_version=expected_version,
        )

    @sub_list(serializers.SessionSerializer, sets=SESSION_SETS, values=True)
    def sessions(self, case: Case) -> QuerySet[ConsultationSession]:
        """The case's consultation sessions, newest first."""
        sessions = selectors.session_rows_for_user(user=self.request.user).filter(case=case)
        return sessions.order_by("-started_at", "-id")


class SessionViewSet(CaseReadsLogged, ServiceViewSet):
    """Consultation sessions (相談記録). After 7 days an edit is an amendment with a reason."""

    model = ConsultationSession
    serializer_class = serializers.SessionSerializer
    create_serializer_class = serializers.SessionCreateSerializer
    update_serializer_class = serializers.SessionUpdateSerializer
    filterset_class = SessionFilter
    ordering_fields = ("id", "started_at", "duration_minutes", "created_at")
    ordering = ["-started_at"]
    listed_sets = SESSION_SETS
    list_selector = staticmethod(selectors.session_rows_for_user)
    list_as_values = True
    list_pages_per_viewer = staticmethod(policy.per_viewer)

    get_selector = staticmethod(selectors.session_get_for_user)

    read_via = ("session", "api-list")

    def _references(self, data: dict[str, Any]) -> dict[str, Any]:
        if "office" in data:
            data["office"] = resolve("office", office_get, pk=data["office"])
        if "counselors" in data:
            # The login logging the session names themself, usually: no query for them.
            staff = partial(active_staff_in, loaded=[self.request.user])
            data["counselors"] = resolve_many("counselors", staff, data["counselors"])
        return data

    def create_with_service(self, data: dict[str, Any]) -> Model:
        user = self.request.user
        data = self._references(data)
        # The parent of the new row: a case the user may not see answers 404, as its URL would.
        # The service reads it through the getter in the statement that locks it
        # (docs/performance.md, "Session create and dispatch approve").
        case_id = data.pop("case")
        try:
            session = services.session_log(case_id=case_id, by=user, **data)
        except (ValidationError, DomainError):
            # Refused, but the case was read: its read is logged all the same.
            case = selectors.case_get_for_user(user=user, pk=case_id)
            services.access_log_record(user=user, cases=[case], via="api")
            raise
        services.access_log_record(user=user, cases=[session.case], via="api")
        return session

    def update_with_service(self, obj: Model, data: dict[str, Any], expected_version: int):
        data = self._references(data)
        return services.session_update(
            session=obj,
            by=self.request.user,
            expected_version=expected_version,
            reason=data.pop("reason", ""),
            **data,
        )


class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    """Consultation topics (reference data)."""

    serializer_class = serializers.TopicSerializer
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [AllowListOrderingFilter]
    ordering_fields = {"code": "code", "order": "sort_order"}
    ordering = ["sort_order"]

    def get_queryset(self) -> QuerySet[Topic]:
        return Topic.objects.all()
