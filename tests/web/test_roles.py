"""Every screen for every member of the cast, on an active yorozu case led by the counselor.

404: the user may not see the thing; 403: the user sees it but lacks the role for the action.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import login

ROLES = ("counselor", "colleague", "coordinator", "manager", "auditor", "exit_team", "outsider")

EXPECTED = {
    "/": (200, 200, 200, 200, 200, 200, 200),
    "/search/?q=テスト": (200, 200, 200, 200, 200, 200, 200),
    "/desks/yorozu/board/": (200, 404, 200, 200, 200, 200, 404),
    "/intake/": (200, 200, 200, 200, 403, 200, 403),
    "/clients/{client}/": (200, 200, 200, 200, 200, 200, 404),
    "/cases/{case}/": (200, 404, 200, 200, 200, 200, 404),
    "/cases/{case}/timeline/": (200, 404, 200, 200, 200, 200, 404),
    "/cases/{case}/edit/": (200, 404, 200, 200, 403, 403, 404),
    "/cases/{case}/sessions/new/": (200, 404, 200, 403, 403, 403, 404),
    "/cases/{case}/hold/": (200, 404, 200, 200, 403, 403, 404),
    "/cases/{case}/close/": (200, 404, 200, 200, 403, 403, 404),
    "/cases/{case}/assign/": (403, 404, 200, 200, 403, 403, 404),
}


@pytest.mark.parametrize("url", EXPECTED)
@pytest.mark.parametrize("role", ROLES)
def test_each_screen_answers_each_role_as_the_policy_says(cast, client, active_case, url, role):
    expected = EXPECTED[url][ROLES.index(role)]
    path = url.format(case=active_case.pk, client=active_case.client.pk)
    response = login(client, getattr(cast, role)).get(path)
    assert response.status_code == expected, (role, path)
