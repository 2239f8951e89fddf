"""The base viewsets every API resource is built on (docs/architecture.md, "The API").

A viewset says where its rows come from and which service writes them; the base does the
rest the same way for every resource:

- reads: `list_for_user(user)` (a policy-filtered selector) behind the filters, the
  allow-listed ordering and cursor pages; `get_for_user(user, pk)` (a getter answering 404)
  for every request on one object; `after_read(objects, many=)` with what a request answers,
  where a read must be recorded (the access log of restricted cases);
- creates: POST parsed by `create_serializer_class`, made by `create_with_service(data)`,
  answered 201 with a Location; `Idempotency-Key` replays the first answer;
- updates: PUT/PATCH need `If-Match` (428 without, 412 when stale), parsed by
  `update_serializer_class`, written by `update_with_service(obj, data, expected_version)`;
- transitions: `@transition(InputSerializer)` declares a POST action on one object whose
  service takes the version named by an optional `If-Match` and checks it under its row lock;
- every answer renders the object the service returned (locked, updated, its sets loaded):
  nothing is read again, and every representation with a `version` carries its ETag.
"""

from __future__ import annotations

import contextlib
import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.urls import NoReverseMatch
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict

from casebook.api.concurrency import ETagMixin, expected_version_from
from casebook.api.filters import (
    AllowListOrderingFilter,
    QueryStringFilterBackend,
    names_a_filter,
)
from casebook.api.idempotency import IdempotentCreateMixin
from casebook.api.pagination import CasebookCursorPagination
from casebook.api.rows import (
    ListedOne,
    ListedSet,
    instance_plan,
    plan_of,
    read_sets,
    render_row,
    values_rows,
)


class ReadViewSet(ETagMixin, viewsets.GenericViewSet, ABC):
    """List and retrieve through the resource's selectors; the base of every resource."""

    model: type[Model]
    filter_backends = [QueryStringFilterBackend, AllowListOrderingFilter]
    # The app's selectors, where the reads are nothing more (a resource that adds to them
    # overrides `list_for_user` / `get_for_user`): `list_selector(user=)` and the getter
    # `get_selector(user=, pk=)`, declared `staticmethod(selectors.…)`.
    list_selector: Callable[..., QuerySet] | None = None
    get_selector: Callable[..., Model] | None = None
    # What a row of the list renders beyond its own row (its sets, its details), read for
    # the page's rows at once by their ids (`casebook.api.rows.read_sets`).
    listed_sets: tuple[ListedSet | ListedOne, ...] = ()
    # Whether the list's page is read as rows of values rather than model instances
    # (`casebook.api.rows.values_rows`): the serializer's reading plan names the columns
    # (docs/performance.md, "The lists' rows as values").
    list_as_values: bool = False
    # Set by `paginated` for the paginator: how the page's rows are read, given the columns
    # the paginator reads besides (the cursor's position); None: as model instances.
    page_rows: Callable[[QuerySet, Iterable[str]], QuerySet] | None = None
    # Where the list is its reader's rule alone (`list_selector(user=)`, built once per
    # login's facts) and its rows are read as values: the memo of those builds,
    # `staticmethod(policy.per_viewer)`. A page with no filter named is then read by a
    # statement compiled once per reader's facts and page shape (docs/performance.md, "A
    # list's page compiled once per reader").
    list_pages_per_viewer: Callable[..., Any] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.list_pages_per_viewer is None:
            return
        # The page's statement stands for the list only where nothing but the selector and
        # the allow-listed filters and ordering make its rows.
        if (
            cls.list_for_user is not ReadViewSet.list_for_user
            or cls.list_selector is None
            or not cls.list_as_values
            or not all(
                issubclass(backend, (QueryStringFilterBackend, AllowListOrderingFilter))
                for backend in cls.filter_backends
            )
        ):
            raise ImproperlyConfigured(
                f"{cls.__name__}: a list read per viewer is its selector's rows, as values"
            )

    def list_for_user(self, user: Any) -> QuerySet:
        """The rows `user` may see (a selector of the resource's app)."""
        return self._selector("list_selector")(user=user)

    def get_for_user(self, user: Any, pk: Any) -> Model:
        """One row `user` may see, else Http404 (a getter of the resource's app)."""
        return self._selector("get_selector")(user=user, pk=pk)

    def _selector(self, name: str) -> Callable[..., Any]:
        selector = getattr(self, name)
        if selector is None:
            raise ImproperlyConfigured(f"{type(self).__name__} declares no {name}")
        return selector

    def after_read(self, objects: list[Any], *, many: bool) -> None:
        """Called with what a request is about to answer (e.g. to log restricted reads): model
        instances, or a list's rows of values."""

    def row_columns(self) -> tuple[str, ...]:
        """What `after_read` reads from a list's row of values beyond what the row renders."""
        return ()

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return self.model.objects.none()
        return self.list_for_user(self.request.user)

    def get_object(self) -> Model:
        """The object of the URL through the getter (404 when unseen), its read recorded."""
        obj = self.get_for_user(self.request.user, self.kwargs[self.lookup_url_kwarg or "pk"])
        self.check_object_permissions(self.request, obj)
        self.after_read([obj], many=False)
        return obj

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        prepared = self._prepared_page()
        if prepared is not None:
            return prepared
        return self.paginated(self.filter_queryset(self.get_queryset()))

    def _prepared_page(self) -> Response | None:
        """The list's page read by the statement compiled for its reader's facts and its
        shape (`list_pages_per_viewer`), where no filter is named; None: read as any list."""
        memo = self.list_pages_per_viewer
        paginator = self.paginator
        if memo is None or not isinstance(paginator, CasebookCursorPagination):
            return None
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None and names_a_filter(
            self.request.query_params, filterset_class.base_filters
        ):
            return None
        user = self.request.user
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        plan = plan_of(serializer_class(context=context))
        # What the kept statement is built from: nothing of this request but its reader.
        rows = functools.partial(_selected_rows, self.list_selector, user, plan, self.row_columns())
        view = (type(self).__module__, type(self).__qualname__, serializer_class.__qualname__)
        page = paginator.paginate_prepared(
            self.request,
            self,
            model=self.model,
            rows=rows,
            prepared=lambda shape, build: memo(user, ("list page", *view, *shape), build),
        )
        if page is None:
            return None
        return self._rendered(page, serializer_class, context, None, own_rows=True, paged=True)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.rendered_one(self.get_object()))

    def rendered_one(self, obj: Model) -> Any:
        """`get_serializer(obj).data`: through its class's reading plan where it has one
        (`casebook.api.rows.instance_plan`), the same body without DRF building every field
        again for the one object."""
        serializer = self.get_serializer(obj)
        plan = instance_plan(type(serializer))
        if plan is None:
            return serializer.data
        data = render_row(obj, plan)
        complete = getattr(serializer, "complete", None)
        if complete is not None:
            data = complete(obj, data)
        return ReturnDict(data, serializer=serializer)

    def paginated(
        self,
        queryset: QuerySet,
        serializer_class: type | None = None,
        sets: Iterable[ListedSet | ListedOne] | None = None,
        *,
        values: bool | None = None,
    ) -> Response:
        """One cursor page of `queryset` with its `sets` (the view's `listed_sets` by
        default), rendered by `serializer_class` (the view's own by default); a sub-list
        action (e.g. a case's sessions) answers the same way. `values` (the view's
        `list_as_values` by default): the page is read as rows of values, the columns its
        serializer's plan renders and those `after_read` and the cursor read."""
        serializer_class = serializer_class or self.get_serializer_class()
        context = self.get_serializer_context()
        own_rows = queryset.model is self.model
        if self.list_as_values if values is None else values:
            plan = plan_of(serializer_class(context=context))
            logged = self.row_columns() if own_rows else ()
            self.page_rows = lambda rows, also: values_rows(rows, plan, (*logged, *also))
        page = self.paginate_queryset(queryset)
        if page is None and self.page_rows is not None:
            queryset = self.page_rows(queryset, ())
        rows = list(page if page is not None else queryset)
        return self._rendered(
            rows, serializer_class, context, sets, own_rows=own_rows, paged=page is not None
        )

    def _rendered(
        self,
        rows: list[Any],
        serializer_class: type,
        context: dict[str, Any],
        sets: Iterable[ListedSet | ListedOne] | None,
        *,
        own_rows: bool,
        paged: bool,
    ) -> Response:
        """The rows with their sets, their read recorded, rendered (in a page's envelope)."""
        read_sets(rows, self.listed_sets if sets is None else sets)
        if rows and own_rows:
            self.after_read(rows, many=True)
        data = serializer_class(rows, many=True, context=context).data
        return self.get_paginated_response(data) if paged else Response(data)

    def run_transition(
        self, request: Request, input_serializer: type | None, perform: Callable[..., Model]
    ) -> Response:
        """The transition-action pattern: the object (404 when unseen), the parsed input, the
        service called with the version `If-Match` names (checked under the row lock, 412
        when stale), and the object it returns, rendered."""
        obj = self.get_object()
        data = self.parse(input_serializer) if input_serializer is not None else {}
        expected = expected_version_from(request, required=False)
        return Response(self.rendered_one(perform(obj, data, expected)))

    def parse(self, serializer_class: type | None, *, partial: bool = False) -> dict[str, Any]:
        """The request body validated by `serializer_class` (400 in the one error shape)."""
        serializer = (serializer_class or self.get_serializer_class())(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _selected_rows(
    selector: Callable[..., QuerySet],
    user: Any,
    plan: Any,
    logged: tuple[str, ...],
    also: tuple[str, ...],
) -> QuerySet:
    """A list's rows as values: `selector(user=)`, the columns `plan` renders, those its
    `after_read` reads (`logged`) and the cursor's (`also`)."""
    return values_rows(selector(user=user), plan, (*logged, *also))


class _CreateWithService(ABC):
    create_serializer_class: type | None = None

    @abstractmethod
    def create_with_service(self, data: dict[str, Any]) -> Model:
        """Resolve the references in `data` and call the service that creates the object."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.create_with_service(self.parse(self.create_serializer_class))
        headers: dict[str, str] = {}
        with contextlib.suppress(NoReverseMatch):
            headers["Location"] = self.reverse_action("detail", args=[obj.pk])
        return Response(self.rendered_one(obj), status=status.HTTP_201_CREATED, headers=headers)


class ServiceCreateMixin(IdempotentCreateMixin, _CreateWithService):
    """POST creates: parsed by `create_serializer_class`, made by `create_with_service`,
    answered 201 with a Location; an `Idempotency-Key` replays the first answer."""


class ServiceUpdateMixin(ABC):
    """PUT and PATCH: `If-Match` required (428 without, 412 when stale), parsed by
    `update_serializer_class`, written by `update_with_service`."""

    update_serializer_class: type | None = None

    @abstractmethod
    def update_with_service(self, obj: Model, data: dict[str, Any], expected_version: int) -> Model:
        """Call the service that applies `data` if `expected_version` is still current."""

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        expected = expected_version_from(request)
        data = self.parse(self.update_serializer_class, partial=kwargs.get("partial", False))
        return Response(self.rendered_one(self.update_with_service(obj, data, expected)))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)


class ServiceViewSet(ServiceCreateMixin, ServiceUpdateMixin, ReadViewSet):
    """A resource read through selectors and written through services: list, retrieve,
    create, update and its transitions (`@transition`)."""


class PlainServiceWrites:
    """`create_with_service` and `update_with_service` for a resource whose services take
    the parsed body as it is: `create_service(by=, **data)` and
    `update_service(<update_keyword>=obj, by=, expected_version=, **data)`. Listed before
    `ServiceViewSet`; a resource whose create or update resolves references writes that one
    itself (and leaves its service attribute out)."""

    create_service: Callable[..., Model]
    update_service: Callable[..., Model]
    update_keyword: str
    request: Request

    def create_with_service(self, data: dict[str, Any]) -> Model:
        return self.create_service(by=self.request.user, **data)

    def update_with_service(self, obj: Model, data: dict[str, Any], expected_version: int) -> Model:
        return self.update_service(
            **{self.update_keyword: obj},
            by=self.request.user,
            expected_version=expected_version,
            **data,
        )


def transition(
    input_serializer: type | None,
    output_serializer: type,
    *,
    url_path: str | None = None,
    responses: dict | None = None,
) -> Callable[[Callable[..., Model]], Callable[..., Response]]:
    """Declare a transition action of a `ServiceViewSet`: POST `{id}/<name>/`.

        @transition(HoldSerializer, CaseSerializer)
        def hold(self, case, data, expected_version):
            "Wait on the client, with a reason and a resume-by date."
            return services.case_hold(case=case, by=self.request.user,
                                      expected_version=expected_version, **data)

    The decorated function calls one service and returns the object the service returned.
    """

    def decorate(perform: Callable[..., Model]) -> Callable[..., Response]:
        @functools.wraps(perform)
        def view(self: ServiceViewSet, request: Request, *args: Any, **kwargs: Any) -> Response:
            return self.run_transition(request, input_serializer, functools.partial(perform, self))

        view.is_transition = True
        view = action(detail=True, methods=["post"], filter_backends=[], url_path=url_path)(view)
        return extend_schema(
            request=input_serializer, responses=responses or {200: output_serializer}
        )(view)

    return decorate


def sub_list(
    output_serializer: type,
    *,
    url_path: str | None = None,
    sets: Iterable[ListedSet | ListedOne] = (),
    values: bool = False,
) -> Callable[[Callable[..., Iterable]], Callable[..., Response]]:
    """Declare a GET list under one object (`{id}/<name>/`), paged like every list, its
    rows' `sets` read for the page (`values`: its rows read as values, as a list's may be):

    @sub_list(SessionSerializer, sets=SESSION_SETS)
    def sessions(self, case):
        return selectors.session_rows_for_user(user=self.request.user).filter(case=case)
    """
    sets = tuple(sets)

    def decorate(rows_of: Callable[..., QuerySet]) -> Callable[..., Response]:
        @functools.wraps(rows_of)
        def view(self: ReadViewSet, request: Request, *args: Any, **kwargs: Any) -> Response:
            rows = rows_of(self, self.get_object())
            return self.paginated(rows, output_serializer, sets, values=values)

        view = action(detail=True, methods=["get"], filter_backends=[], url_path=url_path)(view)
        return extend_schema(responses={200: output_serializer(many=True)}, filters=False)(view)

    return decorate
