"""Django's template backend, each page's render context let go once the page is rendered.

A render context's layers (`ContextDict`) each refer back to the context, so a page's
context, and every row and value put in it, waited in that cycle for the garbage collector
after the page was sent; with the request's other cycles freed when its answer is sent
(`casebook.common.runtime.free_request_objects`), it was most of what a page left to
collect (docs/performance.md, "A request's objects freed when its answer is sent").
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.backends import django as django_backend
from django.template.context import make_context
from django.utils.safestring import SafeString


class Template(django_backend.Template):
    def render(
        self, context: dict[str, Any] | None = None, request: HttpRequest | None = None
    ) -> SafeString:
        # Django's own body, with the context's layers dropped after it: nothing reads a
        # context once its page is rendered (the test client keeps a copy of its own).
        context = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(context)
        except TemplateDoesNotExist as exc:
            django_backend.reraise(exc, self.backend)
        finally:
            context.dicts.clear()


class DjangoTemplates(django_backend.DjangoTemplates):
    def from_string(self, template_code: str) -> Template:
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> Template:
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            django_backend.reraise(exc, self)
