from __future__ import annotations

from django.conf import settings

from tests.factories import PASSWORD


def test_an_anonymous_visitor_is_sent_to_the_login_page(db, client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_is_japanese_by_default(db, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert '<html lang="ja">' in response.content.decode()


def test_a_browser_asking_for_english_still_gets_japanese_until_switched(cast, client):
    client.force_login(cast.counselor)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ja">' in page


def test_logging_in_with_the_right_password_opens_my_cases(cast, client):
    response = client.post(
        "/accounts/login/", {"username": "counselor", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert response.wsgi_request.user == cast.counselor


def test_a_wrong_password_keeps_the_user_name_and_shows_an_error(cast, client):
    response = client.post("/accounts/login/", {"username": "counselor", "password": "nope"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="counselor"' in page
    assert 'role="alert"' in page
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post_and_ends_the_session(cast, client):
    client.force_login(cast.counselor)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_user_changes_the_password_and_can_log_in_with_the_new_one(cast, client):
    client.force_login(cast.counselor)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "ぜんぜん違う-pass-2026",
            "new_password2": "ぜんぜん違う-pass-2026",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    cast.counselor.refresh_from_db()
    assert cast.counselor.check_password("ぜんぜん違う-pass-2026")


def test_a_mismatched_new_password_is_refused_at_the_field(cast, client):
    client.force_login(cast.counselor)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "abc-def-ghi-1", "new_password2": "other-1"},
    )
    assert response.status_code == 400
    assert 'id="id_new_password2_error"' in response.content.decode()
    cast.counselor.refresh_from_db()
    assert cast.counselor.check_password(PASSWORD)


def test_the_language_switch_turns_the_screens_to_english(cast, client):
    client.force_login(cast.counselor)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert 'action="/i18n/setlang/"' in page
