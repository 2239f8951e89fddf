"""Every model choice field of the project reads its choices by one plain query, never through
Django's `ModelChoiceIterator` and its server-side cursor (casebook/common/choices.py;
docs/performance.md, "The forms' model choices read plainly"): the fields the project's forms
declare, and those the admin generates for the relations of its models and inlines."""

from __future__ import annotations

import importlib
import pkgutil

from django import forms
from django.contrib import admin
from django.test import RequestFactory

import casebook
import casebook.urls  # every screen's module, and so every form
from casebook.common.choices import PlainModelChoiceIterator
from tests.factories import UserFactory


def _read_through_djangos_iterator(fields: dict[str, forms.Field]) -> list[str]:
    return [
        name
        for name, field in fields.items()
        if isinstance(field, forms.ModelChoiceField)
        and not issubclass(field.iterator, PlainModelChoiceIterator)
    ]


def _project_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(casebook.__path__, "casebook."):
        if module.name.rsplit(".", 1)[-1] == "forms":
            importlib.import_module(module.name)
    found, pending = [], list(forms.BaseForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith("casebook."):
            found.append(form)
    return found


def test_no_field_a_project_form_declares_reads_through_djangos_iterator():
    project_forms = _project_forms()
    choice_fields = [
        field
        for form in project_forms
        for field in form.base_fields.values()
        if isinstance(field, forms.ModelChoiceField)
    ]
    assert len(choice_fields) >= 20  # the walk finds the forms' choice fields
    assert {
        f"{form.__module__}.{form.__qualname__}.{name}"
        for form in project_forms
        for name in _read_through_djangos_iterator(form.base_fields)
    } == set()


def test_no_field_the_admin_generates_reads_through_djangos_iterator(db):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    generated, still_djangos = 0, set()
    for model, model_admin in admin.site._registry.items():
        form_classes = [model_admin.get_form(request)]
        form_classes += [
            inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)
        ]
        for form in form_classes:
            fields = form.base_fields
            generated += sum(isinstance(f, forms.ModelChoiceField) for f in fields.values())
            still_djangos |= {
                f"{model._meta.label}.{name}" for name in _read_through_djangos_iterator(fields)
            }
    assert generated >= 10  # the relations of the admin's forms are walked
    assert still_djangos == set()
