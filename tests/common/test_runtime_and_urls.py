"""`url_for_each` (one reverse for a page's rows) and `freeze_startup_objects` (the server's
start-up objects out of the full garbage collections)."""

from __future__ import annotations

import gc

import pytest
from django.urls import reverse

from casebook.common.runtime import freeze_startup_objects
from casebook.common.web import url_for_each


@pytest.mark.parametrize("name", ["case_detail", "case_assign", "session_edit"])
def test_a_url_for_each_row_is_the_url_reverse_gives(name):
    url = url_for_each(name)
    assert [url(pk) for pk in (1, 42, 123456)] == [
        reverse(name, args=[pk]) for pk in (1, 42, 123456)
    ]


def test_freezing_the_start_up_objects_leaves_them_out_of_the_collections():
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
