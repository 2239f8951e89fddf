"""A hole of a text rendered once (`casebook/common/fragments.py`) is filled as Django's
`conditional_escape` fills it, whatever the value's type: escaped unless marked safe."""

from __future__ import annotations

import pytest
from django.utils.functional import lazy
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from casebook.common.fragments import _escaped


class _Html:
    def __html__(self) -> str:
        return "<b>as its own html</b>"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "株式会社<中島> & 'son' \"co\"",
        mark_safe("<em>safe</em>"),
        0,
        12_345,
        -7,
        True,
        None,
        3.5,
        lazy(lambda: "<lazy & translated>", str)(),
        _Html(),
    ],
)
def test_a_hole_is_escaped_as_conditional_escape_escapes_it(value):
    assert _escaped(value) == conditional_escape(value)
    assert str(_escaped(value)) == str(conditional_escape(value))
