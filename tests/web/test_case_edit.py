from __future__ import annotations

from casebook.intake import services
from tests.web.conftest import in_english, login


def _post(case, **changes) -> dict:
    data = {
        "version": case.version,
        "title": case.title,
        "topics": ["finance"],
        "priority": "normal",
        "confidentiality": "normal",
    }
    data.update(changes)
    return data


def test_the_lead_edits_the_case_details(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/edit/",
        _post(active_case, title="販路開拓の相談", topics=["sales_channels", "marketing"]),
    )
    assert response.status_code == 302
    active_case.refresh_from_db()
    assert active_case.title == "販路開拓の相談"
    assert set(active_case.topics.values_list("code", flat=True)) == {"sales_channels", "marketing"}


def test_the_edit_form_carries_the_version_and_shows_presence(cast, client, active_case):
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/edit/").content.decode()
    assert f'name="version" value="{active_case.version}"' in page
    assert f'<div id="presence" data-case="{active_case.pk}" data-editing="1"' in page


def test_saving_over_a_newer_change_shows_both_versions_and_saves_nothing(
    cast, client, active_case
):
    seen_version = active_case.version
    services.case_update(
        case=active_case, by=cast.coordinator, expected_version=seen_version, title="統括が直した題"
    )
    response = in_english(login(client, cast.counselor)).post(
        f"/cases/{active_case.pk}/edit/",
        _post(active_case, version=seen_version, title="私が直した題", priority="high"),
    )
    page = response.content.decode()
    assert response.status_code == 409
    merge = page[page.index('class="table merge"') :]
    assert '<td class="theirs">統括が直した題</td>' in merge
    assert '<td class="yours">私が直した題</td>' in merge
    assert f"{cast.coordinator} saved a newer version" in page
    # What was typed stays in the form, with the current version to save it on purpose.
    assert 'value="私が直した題"' in page
    active_case.refresh_from_db()
    assert active_case.title == "統括が直した題" and active_case.priority == "normal"
    assert f'name="version" value="{active_case.version}"' in page


def test_saving_again_from_the_merge_screen_applies_my_version(cast, client, active_case):
    seen_version = active_case.version
    services.case_update(
        case=active_case, by=cast.coordinator, expected_version=seen_version, title="統括の題"
    )
    login(client, cast.counselor)
    client.post(
        f"/cases/{active_case.pk}/edit/", _post(active_case, version=seen_version, title="私の題")
    )
    active_case.refresh_from_db()
    response = client.post(f"/cases/{active_case.pk}/edit/", _post(active_case, title="私の題"))
    assert response.status_code == 302
    active_case.refresh_from_db()
    assert active_case.title == "私の題"


def test_an_empty_title_is_an_error_at_the_field_and_the_rest_is_kept(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/edit/", _post(active_case, title="", priority="high")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_title_error"' in page
    assert '<option value="high" selected>' in page


def test_an_auditor_may_see_but_not_edit_and_gets_403(cast, client, active_case):
    client = login(client, cast.auditor)
    assert client.get(f"/cases/{active_case.pk}/edit/").status_code == 403
    response = client.post(f"/cases/{active_case.pk}/edit/", _post(active_case, title="監査"))
    assert response.status_code == 403
    active_case.refresh_from_db()
    assert active_case.title != "監査"


def test_the_edit_form_of_a_case_of_another_desk_answers_404(cast, client, active_case):
    assert login(client, cast.colleague).get(f"/cases/{active_case.pk}/edit/").status_code == 404


def test_the_edit_form_does_not_offer_restricted(cast, client, active_case):
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/edit/").content.decode()
    assert 'value="restricted"' not in page
