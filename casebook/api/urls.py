"""`/api/`: the v1 router, the token exchange, the OpenAPI schema and its offline docs.

Every app's `api` module joins v1 here, by name: `register(router)` adds its viewsets (an app
with plain views only has none), and a module-level `urlpatterns` list its plain views
(mounted under `/api/v1/`). A new app adds one line to `APP_APIS`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from casebook.accounts import api as accounts_api
from casebook.api import tokens as api_tokens
from casebook.api.auth import TokenView
from casebook.api.exceptions import error_body
from casebook.attachments import api as attachments_api
from casebook.exits import api as exits_api
from casebook.experts import api as experts_api
from casebook.intake import api as intake_api
from casebook.notifications import api as notifications_api
from casebook.referrals import api as referrals_api
from casebook.reports import api as reports_api
from casebook.satellites import api as satellites_api

APP_APIS = (
    api_tokens,
    accounts_api,
    satellites_api,
    intake_api,
    experts_api,
    attachments_api,
    referrals_api,
    exits_api,
    notifications_api,
    reports_api,
)


class V1Router(DefaultRouter):
    include_root_view = True
    include_format_suffixes = False


router = V1Router()
extra_v1_urls: list = []
for app_api in APP_APIS:
    if hasattr(app_api, "register"):  # an app with plain views only has no viewset
        app_api.register(router)
    extra_v1_urls += list(getattr(app_api, "urlpatterns", []))


class SchemaView(SpectacularAPIView):
    """The OpenAPI description, generated once per process, language and version, then served.

    With `SERVE_PUBLIC` (drf-spectacular's default) every login is served the whole API, so
    the description is a function of the code alone; generating it took 0.5–1.3 s of every
    request on a busy machine (docs/performance.md, "Every list on the decade"). The check
    that the caller is logged in (`SERVE_PERMISSIONS`) still runs on every request, before
    this. A changed setting (in tests) forgets what was generated.
    """

    _documents: ClassVar[dict[tuple[str | None, str | None], dict[str, Any]]] = {}

    def _get_schema_response(self, request: Request) -> Response:
        if not self.serve_public:  # the description would follow the caller's permissions
            return super()._get_schema_response(request)
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (translation.get_language(), version)
        document = self._documents.get(key)
        if document is None:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            document = generator.get_schema(request=request, public=True)
            self._documents[key] = document
        filename = self._get_filename(request, version)
        return Response(
            data=document, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )


def _forget_documents(**kwargs: Any) -> None:
    SchemaView._documents.clear()


setting_changed.connect(_forget_documents)


class LoggedInDocsView(SpectacularSwaggerView):
    """The offline Swagger UI, for logins only (docs/security.md, finding 11); its refusal is
    an API error like any other (JSON, 401)."""

    renderer_classes = [*SpectacularSwaggerView.renderer_classes, JSONRenderer]


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The site's 400 for a request Django refuses before any view (a Host header not in
    `ALLOWED_HOSTS`, a malformed body): under /api/ in the API's error shape (JSON, as the
    schema says), elsewhere Django's page. `casebook.urls.handler400`."""
    if request.path_info.startswith("/api/"):
        body = error_body(400, code="bad_request", detail=_("the request was refused as malformed"))
        return JsonResponse(body, status=400)
    return defaults.bad_request(request, exception)


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other path under /api/ answers 404 in the API's error shape, never an HTML page."""
    return JsonResponse(error_body(404, code="not_found", detail=_("not found")), status=404)


urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/", include(extra_v1_urls)),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", LoggedInDocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<rest>[\s\S]*)$", api_not_found),
]
