"""The satisfaction survey's public page: answered once, politely, in Japanese
(docs/reports.md, "Satisfaction survey")."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client as WebClient
from django.utils import timezone

from casebook.reports.models import SatisfactionSurvey
from casebook.reports.services import survey_send
from tests.factories import closed_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent(cast, django_capture_on_commit_callbacks):
    """A survey just mailed: (its URL path, the survey)."""
    case = closed_case(
        timezone.now() - dt.timedelta(days=7), lead_counselor=cast.counselor, title="秘密の新規事業"
    )
    with django_capture_on_commit_callbacks(execute=True):
        survey = survey_send(case_id=case.pk)
    path = re.search(r"https?://[^/]+(/survey/[\w-]+/)", mail.outbox[0].body).group(1)
    return path, survey


def answer(path: str, **data) -> object:
    return WebClient().post(path, {"score": "5", "comment": "", **data})


def test_the_page_asks_in_japanese_and_names_the_desk_and_month_but_not_the_case(sent):
    path, survey = sent
    response = WebClient().get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "大変満足" in page and "不満" in page
    assert survey.desk.name in page
    assert f"{survey.consultation_month:%Y}年{survey.consultation_month.month}月" in page
    assert "秘密の新規事業" not in page
    assert survey.case.number not in page


def test_an_answer_is_recorded_once_and_a_second_one_changes_nothing(sent):
    path, survey = sent
    first = answer(path, score="4", comment="とても助かりました", acted_on_advice="yes")
    assert first.status_code == 200
    assert "ありがとうございました" in first.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.acted_on_advice) == (4, "とても助かりました", True)
    answered_at = survey.answered_at

    second = answer(path, score="1", comment="上書き")
    assert second.status_code == 200
    assert "既にご回答いただいております" in second.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (
        4,
        "とても助かりました",
        answered_at,
    )
    assert WebClient().get(path).status_code == 200


def test_an_answer_without_a_score_is_refused_naming_the_question(sent):
    path, survey = sent
    response = WebClient().post(path, {"comment": "コメントだけ"})
    assert response.status_code == 400
    assert "5つの選択肢" in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None and survey.comment == ""


def test_an_unknown_or_expired_link_answers_a_polite_404(sent, settings):
    path, survey = sent
    unknown = WebClient().get("/survey/not-a-real-token/")
    assert unknown.status_code == 404
    assert "有効ではない" in unknown.content.decode()

    SatisfactionSurvey.objects.filter(pk=survey.pk).update(
        sent_at=timezone.now() - dt.timedelta(days=settings.CASEBOOK_SURVEY_OPEN_DAYS + 1)
    )
    assert WebClient().get(path).status_code == 404
    assert answer(path).status_code == 404
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_survey_of_a_case_restricted_since_is_closed(sent):
    path, survey = sent
    case = survey.case
    case.confidentiality = "restricted"
    case.save(update_fields=["confidentiality"])
    assert WebClient().get(path).status_code == 404


def test_answers_from_one_address_are_limited_per_hour(sent, settings):
    path, _survey = sent
    settings.CASEBOOK_SURVEY_RATE_PER_HOUR = 2
    assert WebClient().post(path, {}).status_code == 400
    assert WebClient().post(path, {}).status_code == 400
    refused = answer(path)
    assert refused.status_code == 429
    assert "しばらくしてから" in refused.content.decode()
    _survey.refresh_from_db()
    assert _survey.answered_at is None


def test_the_form_is_csrf_protected(sent):
    path, survey = sent
    strict = WebClient(enforce_csrf_checks=True)
    assert strict.post(path, {"score": "5"}).status_code == 403
    survey.refresh_from_db()
    assert survey.answered_at is None

    page = strict.get(path)
    token = page.cookies["csrftoken"].value
    assert strict.post(path, {"score": "5", "csrfmiddlewaretoken": token}).status_code == 200


def test_the_public_page_costs_a_fixed_few_queries(sent, django_assert_max_num_queries):
    path, _survey = sent
    # the survey with its desk, and whether its case is restricted
    with django_assert_max_num_queries(2):
        assert WebClient().get(path).status_code == 200
    # those, the lock, the history row and the update
    with django_assert_max_num_queries(8):
        assert answer(path).status_code == 200


def test_the_link_is_kept_only_as_a_hash(sent):
    path, survey = sent
    token = path.strip("/").split("/")[-1]
    assert token not in survey.token_hash
    assert not SatisfactionSurvey.objects.filter(token_hash=token).exists()
