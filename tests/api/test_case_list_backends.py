"""The case list's filter backends are its base's, with its filter set kept on the view."""

from __future__ import annotations

from rest_framework.filters import BaseFilterBackend

from casebook.api.filters import AllowListOrderingFilter, QueryStringFilterBackend
from casebook.api.viewsets import ServiceViewSet
from casebook.intake.api.views import CaseViewSet, KeptFilterSetBackend, keeping_the_filterset


class AuditedFilter(BaseFilterBackend):
    """A backend a base viewset could add."""


def test_a_backend_added_to_the_base_reaches_the_backends_that_keep_the_filter_set():
    base = [QueryStringFilterBackend, AuditedFilter, AllowListOrderingFilter]
    assert keeping_the_filterset(base) == [
        KeptFilterSetBackend,
        AuditedFilter,
        AllowListOrderingFilter,
    ]


def test_the_case_list_filters_as_its_base_does_and_keeps_its_filter_set():
    assert CaseViewSet.filter_backends == keeping_the_filterset(ServiceViewSet.filter_backends)
    assert KeptFilterSetBackend in CaseViewSet.filter_backends
    assert QueryStringFilterBackend not in CaseViewSet.filter_backends
