"""Model choice fields whose choices are read by one plain query (docs/performance.md, "The
forms' model choices read plainly").

Django's `ModelChoiceIterator` reads a field's rows with `QuerySet.iterator()`: on PostgreSQL
a server-side cursor, three round trips (`DECLARE`, a fetch, a close) for the few dozen rows
of a select. The iterator here reads the same query, in the same order, as a plain query and
makes each choice as Django's does; nothing is kept between two readings (each reads afresh,
as `iterator()` did). Streaming stays where it pays: the exports (`common.exports`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator


class PlainModelChoiceIterator(ModelChoiceIterator):
    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    iterator = PlainModelChoiceIterator


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = PlainModelChoiceIterator
