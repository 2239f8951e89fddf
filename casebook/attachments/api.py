"""`/api/v1/cases/{id}/attachments/`, `/api/v1/sessions/{id}/attachments/` and
`/api/v1/visits/{id}/attachments/`: the files of a case, of one of its sessions, of a visit
report, listed (paged, newest first) and added (multipart, field `file`);
`/api/v1/attachments/{id}/`: one file's description, and `…/download/` its bytes
(docs/security.md, "Attachments").

A case and a session come through the intake getters (404 when unseen); adding follows the
case's rule (`attachments.policy.can_attach`: who logs sessions on the case or edits it,
while it is not closed), the file the checks of every file, as on the case page.

The visit comes through the experts app's getter (its attachment host, 404 when unseen), so
its files follow the dispatch policy; a description names the file, never its case (on a
restricted case the expert sees the visit, not the case, docs/exits.md). The download is the
web download's answer (`Content-Disposition: attachment`, `nosniff`, access-logged)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casebook.api.pagination import CasebookCursorPagination
from casebook.attachments import policy, selectors, services, views
from casebook.attachments.models import Attachment
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.StringRelatedField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "sha256",
            "session",
            "visit",
            "uploaded_by",
            "uploaded_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, attachment: Attachment) -> str:
        return reverse("attachment-download", args=[attachment.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class _Newest(CasebookCursorPagination):
    ordering = ("-uploaded_at", "-id")


class VisitAttachmentsView(APIView):
    """The files of a visit report the caller may see (its dispatch, `experts/policy.py`)."""

    parser_classes = [MultiPartParser]

    def _visit(self, request: Request, pk: int) -> tuple[Any, Any]:
        host = policy.host("visit")
        return host, host.get(request.user, pk)

    @extend_schema(responses={200: AttachmentSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        host, visit = self._visit(request, pk)
        return _page(self, request, selectors.attachments_of_host(host=host, obj=visit))

    @extend_schema(request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        host, visit = self._visit(request, pk)
        policy.require_attach_to(request.user, host, visit)
        attachment = services.attachment_add_to(
            host=host, obj=visit, by=request.user, upload=_uploaded(request)
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class _CaseFilesView(APIView, metaclass=ABCMeta):
    """The files of a case or of one of its sessions the caller sees, listed, and a new one
    added under the case's rule (`attachments.policy.can_attach`). A subclass names the owner
    (`owner`) and its list (`listed`)."""

    parser_classes = [MultiPartParser]

    @abstractmethod
    def owner(self, request: Request, pk: int) -> tuple[Any, Any]:
        """(the case, the session or None), through the intake getters: 404 when unseen."""

    @abstractmethod
    def listed(self, case: Any, session: Any) -> Any:
        """The owner's files, newest first."""

    def _owner(self, request: Request, pk: int) -> tuple[Any, Any]:
        case, session = self.owner(request, pk)
        case_services.access_log_record(user=request.user, cases=[case], via="api")
        return case, session

    @extend_schema(responses={200: AttachmentSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        case, session = self._owner(request, pk)
        return _page(self, request, self.listed(case, session))

    @extend_schema(request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        case, session = self._owner(request, pk)
        policy.require_attach(request.user, case)
        attachment = services.attachment_add(
            case=case, session=session, by=request.user, upload=_uploaded(request)
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class CaseAttachmentsView(_CaseFilesView):
    """The files of a case the caller sees (its sessions' and visits' included), and a new
    one on the case."""

    def owner(self, request: Request, pk: int) -> tuple[Any, Any]:
        return case_selectors.case_get_for_user(user=request.user, pk=pk), None

    def listed(self, case: Any, session: Any) -> Any:
        return selectors.attachments_of_case_newest(case=case)


class SessionAttachmentsView(_CaseFilesView):
    """The files of a session whose case the caller sees, and a new one on the session."""

    def owner(self, request: Request, pk: int) -> tuple[Any, Any]:
        session = case_selectors.session_get_for_user(user=request.user, pk=pk)
        return session.case, session

    def listed(self, case: Any, session: Any) -> Any:
        return selectors.attachments_of_session_newest(session=session)


def _uploaded(request: Request) -> Any:
    """The posted file, checked as a form field (present, not empty): a 400 naming `file`."""
    upload = AttachmentUploadSerializer(data=request.data)
    upload.is_valid(raise_exception=True)
    return upload.validated_data["file"]


def _page(view: APIView, request: Request, attachments: Any) -> Response:
    paginator = _Newest()
    page = paginator.paginate_queryset(attachments, request, view=view)
    return paginator.get_paginated_response(AttachmentSerializer(page, many=True).data)


class AttachmentDetailView(APIView):
    """One file the caller may see (its case, or its visit's dispatch)."""

    @extend_schema(responses={200: AttachmentSerializer})
    def get(self, request: Request, pk: int) -> Response:
        attachment = selectors.attachment_get_for_user(user=request.user, pk=pk)
        return Response(AttachmentSerializer(attachment).data)


class AttachmentDownloadView(APIView):
    """The bytes, as the web download answers them."""

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file (its own media type)."
            )
        }
    )
    def get(self, request: Request, pk: int) -> Any:
        return views.attachment_response(request, pk)


urlpatterns = [
    path("cases/<int:pk>/attachments/", CaseAttachmentsView.as_view(), name="case-attachment-list"),
    path(
        "sessions/<int:pk>/attachments/",
        SessionAttachmentsView.as_view(),
        name="session-attachment-list",
    ),
    path(
        "visits/<int:pk>/attachments/",
        VisitAttachmentsView.as_view(),
        name="visit-attachment-list",
    ),
    path("attachments/<int:pk>/", AttachmentDetailView.as_view(), name="attachment-detail"),
    path(
        "attachments/<int:pk>/download/",
        AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
]
