"""`/api/`: the v1 router, the token exchange, the OpenAPI schema and its offline docs.

Each app's `api.py` joins v1 by defining `register(router)` (viewsets) and, for plain views,
a module-level `urlpatterns` list (mounted under `/api/v1/`). Apps without an `api.py` are
skipped; an error inside an existing `api.py` is not hidden.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from casebook.api.auth import TokenView
from casebook.api.exceptions import error_body

API_MODULES = (
    "casebook.accounts.api",
    "casebook.satellites.api",
    "casebook.intake.api",
    "casebook.experts.api",
    "casebook.referrals.api",
    "casebook.notifications.api",
)


def _load(name: str) -> ModuleType | None:
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


class V1Router(DefaultRouter):
    include_root_view = True
    include_format_suffixes = False


router = V1Router()
extra_v1_urls: list = []
for module_name in API_MODULES:
    module = _load(module_name)
    if module is None:
        continue
    if hasattr(module, "register"):
        module.register(router)
    extra_v1_urls += list(getattr(module, "urlpatterns", []))


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other path under /api/ answers 404 in the API's error shape, never an HTML page."""
    return JsonResponse(error_body(404, code="not_found", detail=_("not found")), status=404)


urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/", include(extra_v1_urls)),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<rest>[\s\S]*)$", api_not_found),
]
