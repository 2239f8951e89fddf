"""Parts of the base layout rendered once per process for what they depend on
(docs/performance.md, "The fixed cost of a request").

The nav's links, the inbox badge and the language form are the same text for every request
that asks the same questions of them: the same answers of the policies, the same language,
the same URL prefix. `render_once` renders such a template the first time a combination is
seen, with each per-request value (the CSRF token, the search words, the login's name) left as
a hole, keeps the text between the holes, and fills the holes for every later request with
the value escaped as the template would have escaped it.

What it keeps is derived, never decided here: the key is the answers the caller has just
asked of the policies for this request, so a changed membership, role or language is a
different key and never a stale answer. A hole is only ever printed by its template
(`{{ name }}` or `{% csrf_token %}`), never tested by an `{% if %}`: what a condition reads
belongs in the key.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.forms import BoundField
from django.forms.models import ModelChoiceIterator
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from casebook.common.choices import PlainModelChoiceIterator

# Marks a hole in the rendered text: a private-use character no template or translation holds.
_MARK = "\ue000"
# The combinations seen are a few dozen (the nav's answers × the languages); the bound only
# guards against a caller that keys on something unbounded.
_LIMIT = 1024
_rendered: dict[Hashable, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def render_once(
    template_name: str,
    *,
    key: Hashable,
    context: Mapping[str, Any],
    holes: Mapping[str, Any],
) -> SafeString:
    """`template_name` rendered with `context` and `holes`, its text reused for every later
    call with the same `key`, language, URL prefix and URLconf; only `holes` change between
    such calls. `context` must be a function of `key`."""
    return drawer(template_name)(key, context, holes)


Draw = Callable[
    [Hashable, Mapping[str, Any] | Callable[[], Mapping[str, Any]], Mapping[str, Any]], SafeString
]


def drawer(template_name: str) -> Draw:
    """`render_once` of `template_name` for the calls of one request (a list's rows): the
    language, the URL prefix and the URLconf are read once, not per row. The context may be
    given as a function, asked only when the key's text is not kept yet."""
    where = (translation.get_language(), get_script_prefix(), get_urlconf())

    def draw(
        key: Hashable,
        context: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
        holes: Mapping[str, Any],
    ) -> SafeString:
        full_key = (template_name, key, *where)
        found = _rendered.get(full_key)
        if found is None:
            marked = {name: mark_safe(f"{_MARK}{name}{_MARK}") for name in holes}
            given = context() if callable(context) else context
            text = get_template(template_name).render({**given, **marked})
            pieces = text.split(_MARK)
            found = (tuple(pieces[0::2]), tuple(pieces[1::2]))
            if len(_rendered) >= _LIMIT:
                _rendered.clear()
            _rendered[full_key] = found
        literals, names = found
        out = [literals[0]]
        for name, literal in zip(names, literals[1:], strict=True):
            out.append(_escaped(holes[name]))
            out.append(literal)
        return mark_safe("".join(out))

    return draw


def _escaped(value: Any) -> str:
    """`conditional_escape(value)`, a plain text or number without its checks for a lazy
    translation and for `__html__` (a page's rows fill about a thousand holes)."""
    kind = type(value)
    if kind is str:
        # What `django.utils.html.escape` returns for a text that is not marked safe.
        return html.escape(value)
    if kind is int:
        return str(value)
    return conditional_escape(value)


def forget_rendered() -> None:
    _rendered.clear()


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    # A test that changes the URLconf, the languages or the templates renders afresh.
    forget_rendered()


@receiver(file_changed)
def _file_changed(**kwargs: Any) -> None:
    # The development server reloads an edited template without a restart: so does this.
    forget_rendered()


# --- a field of an unbound form ---------------------------------------------------------------

FIELD_TEMPLATE = "includes/field.html"


def field_once(bound: BoundField) -> SafeString:
    """`bound` drawn by includes/field.html, the text reused for every later field of an
    unbound form that draws the same: the same form class, prefix and field, the same label,
    help, widget attributes and value, and the same choices, read once here (a model field's
    choices are a query each time they are iterated).

    A select draws one template per option; the case page's action forms draw the assign
    form's counselors and the closure reasons on every request, the same few sets of choices
    (docs/performance.md, "The case page"). A bound form (its values and errors are the
    request's) is drawn afresh."""
    if bound.form.is_bound:
        return get_template(FIELD_TEMPLATE).render({"field": bound})
    return render_once(
        FIELD_TEMPLATE, key=_unbound_field_key(bound), context={"field": bound}, holes={}
    )


def _unbound_field_key(bound: BoundField) -> Hashable:
    """Everything of an unbound field that includes/field.html and its widget read."""
    form, field = bound.form, bound.field
    widget = field.widget
    choices: tuple[Any, ...] | None = None
    if hasattr(widget, "choices"):
        widget.choices = _read_choices(field, widget.choices)
        choices = tuple(_choice_key(value, label) for value, label in widget.choices)
    return (
        "field",
        type(form),
        form.prefix,
        form.auto_id,
        form.use_required_attribute,
        bound.name,
        type(field),
        type(widget),
        str(field.label),
        str(field.help_text),
        field.required,
        field.disabled,
        field.show_hidden_initial,
        field.localize,
        getattr(widget, "format", None),
        tuple(sorted((name, str(value)) for name, value in widget.attrs.items())),
        repr(bound.value()),
        choices,
    )


def _read_choices(field: Any, choices: Any) -> list[Any]:
    """The choices as a list, read once. A model field's iterator reads its rows through a
    server-side cursor (on PostgreSQL three round trips, the rows held until the cursor
    closes: twice the wall time of one plain read on a busy machine) and `list()` would count
    them first: its rows are read here by one plain query, each turned into a choice as the
    iterator turns it, after the empty choice as the iterator puts it first."""
    if type(choices) in (ModelChoiceIterator, PlainModelChoiceIterator):  # another reads its way
        return list(iter(PlainModelChoiceIterator(field)))
    return list(choices)


def _choice_key(value: Any, label: Any) -> tuple[str, Any]:
    if isinstance(label, list | tuple):  # a group: its options
        return str(value), tuple(_choice_key(*option) for option in label)
    return str(value), str(label)
