"""The case and session lists render each row as the object's own read does: a list reads its
rows its own way (one join, the client's name as a column, the desk details by id, a reading
plan per serializer class, no filter set without a filter; docs/performance.md, "Rendering a
page" and "The lists' Python"), and its JSON must not change for it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import serializers

from casebook.accounts.models import DeskRole
from casebook.api.filters import names_a_filter
from casebook.api.rows import (
    RenderedList,
    plan_of,
    read_sets,
    reading_plan,
    render_row,
    values_rows,
)
from casebook.intake import selectors, services
from casebook.intake.api.serializers import (
    CaseSerializer,
    IpDetailsSerializer,
    SessionSerializer,
    desk_details_of,
)
from casebook.intake.api.views import CASE_LIST_SETS, CASE_SETS, SESSION_SETS
from casebook.intake.models import Case, ConsultationSession, Topic
from tests.factories import SessionFactory, case_in_state, desk, member


@pytest.fixture
def varied_cases(cast) -> list[Case]:
    dispute_lead = member("subcontract", DeskRole.COORDINATOR, username="kakekomi")
    ip_lead = member("ip", DeskRole.COORDINATOR, username="chizai")
    dispute = case_in_state("active", lead=dispute_lead, by=dispute_lead, desk_code="subcontract")
    services.subcontract_details_update(case=dispute, by=dispute_lead, counterpart_company="親会社")
    dispute_without_details = case_in_state(
        "intake", lead=dispute_lead, by=dispute_lead, desk_code="subcontract"
    )
    ip_case = case_in_state("assigned", lead=ip_lead, by=ip_lead, desk_code="ip")
    services.ip_details_update(
        case=ip_case,
        by=ip_lead,
        invention_disclosed_on=timezone.localdate() - dt.timedelta(days=330),
        rights_sought=["patent"],
    )
    busy = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    services.case_update(
        case=busy,
        by=cast.coordinator,
        expected_version=None,
        topics=list(Topic.objects.values_list("code", flat=True)[:3]),
        co_counselors=[cast.coordinator],
    )
    on_hold = case_in_state("on_hold", lead=cast.counselor, by=cast.coordinator)
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    return [dispute, dispute_without_details, ip_case, busy, on_hold, closed]


def test_every_row_of_the_case_list_is_the_case_as_read_alone(cast, api_as, varied_cases):
    api = api_as(cast.manager)
    listed = api.get("/api/v1/cases/?page_size=50").json()["results"]
    assert {row["id"] for row in listed} == {case.pk for case in varied_cases}
    for row in listed:
        assert row == api.get(f"/api/v1/cases/{row['id']}/").json()
    by_id = {row["id"]: row for row in listed}
    assert by_id[varied_cases[0].pk]["desk_details"]["counterpart_company"] == "親会社"
    assert by_id[varied_cases[2].pk]["desk_details"]["rights_sought"] == ["patent"]
    assert len(by_id[varied_cases[3].pk]["topics"]) == 3
    assert by_id[varied_cases[3].pk]["co_counselors"] == [cast.coordinator.pk]


def test_cases_of_a_desk_without_their_details_each_render_the_defaults_as_read_alone(
    cast, api_as, varied_cases
):
    ip_lead = member("ip", DeskRole.COORDINATOR, username="chizai2")
    bare = [case_in_state("intake", lead=ip_lead, by=ip_lead, desk_code="ip") for _ in range(3)]
    bare.append(varied_cases[1])  # a dispute case without its details
    listed = desk_details_of  # the list's renderers, kept across its rows
    renderers: dict = {}
    rows = [listed(case, renderers) for case in bare]
    assert rows[0] == rows[1] == rows[2] and rows[0] is not rows[1]
    assert rows[0]["grace_period_ends_on"] is None and "anonymous" in rows[3]
    rows[0]["version"] = 99  # one row's answer is its own
    assert listed(bare[1], renderers)["version"] != 99
    api = api_as(cast.manager)
    by_id = {row["id"]: row for row in api.get("/api/v1/cases/?page_size=50").json()["results"]}
    for case in bare:
        assert by_id[case.pk] == api.get(f"/api/v1/cases/{case.pk}/").json()


def test_the_ip_details_plan_is_made_once_for_the_class():
    assert plan_of(IpDetailsSerializer()) is plan_of(IpDetailsSerializer())


def test_the_reading_plan_renders_a_row_as_the_serializer_does(varied_cases):
    serializer = CaseSerializer()
    plan = reading_plan(serializer)
    for case in Case.objects.filter(pk__in=[case.pk for case in varied_cases]):
        expected = CaseSerializer(case).data
        assert serializer.complete(case, render_row(case, plan)) == expected


def test_every_row_of_the_sessions_list_is_the_session_as_read_alone(cast, api_as, varied_cases):
    busy = varied_cases[3]
    services.session_log(
        case=busy,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(hours=1),
        duration_minutes=30,
        mode="phone",
        summary="電話で続きの相談",
        counselors=[cast.counselor, cast.coordinator],
        topics=list(Topic.objects.values_list("code", flat=True)[:2]),
    )
    api = api_as(cast.manager)
    listed = api.get("/api/v1/sessions/?page_size=50").json()["results"]
    assert len(listed) == ConsultationSession.objects.count()
    for row in listed:
        assert row == api.get(f"/api/v1/sessions/{row['id']}/").json()
    of_the_case = api.get(f"/api/v1/cases/{busy.pk}/sessions/").json()["results"]
    assert of_the_case == [row for row in listed if row["case"] == busy.pk]
    newest = listed[0]
    assert newest["case_number"] == busy.number
    assert sorted(newest["counselors"]) == sorted([cast.counselor.pk, cast.coordinator.pk])
    assert len(newest["topics"]) == 2


@pytest.mark.parametrize("resource", ["cases", "sessions"])
def test_a_list_without_a_filter_answers_as_one_with_its_filters_left_empty(
    cast, api_as, varied_cases, resource
):
    api = api_as(cast.manager)
    plain = api.get(f"/api/v1/{resource}/?page_size=50")
    empty_filters = api.get(f"/api/v1/{resource}/?page_size=50&desk=&q=&counselor=&topic=")
    unknown = api.get(f"/api/v1/{resource}/?page_size=50&unknown=1")
    assert plain.status_code == empty_filters.status_code == unknown.status_code == 200
    assert plain.content == empty_filters.content == unknown.content


def test_a_named_filter_still_goes_through_the_filter_set(cast, api_as, varied_cases):
    api = api_as(cast.manager)
    assert api.get("/api/v1/cases/?opened_from=not-a-date").status_code == 400
    assert api.get("/api/v1/sessions/?counselor=x").status_code == 400
    dispute = api.get("/api/v1/cases/?desk=subcontract").json()["results"]
    assert {row["id"] for row in dispute} == {case.pk for case in varied_cases[:2]}


def test_a_query_string_names_a_filter_by_its_name_or_its_widgets_keys():
    assert names_a_filter(["page_size", "status"], ["status", "desk"])
    assert names_a_filter(["opened_after"], ["opened"])
    assert not names_a_filter(["page_size", "cursor", "ordering"], ["status", "desk"])


def test_the_reading_plan_is_made_once_per_serializer_class():
    assert plan_of(CaseSerializer()) is plan_of(CaseSerializer(context={"request": None}))
    assert plan_of(SessionSerializer()) is plan_of(SessionSerializer())


def test_a_serializer_whose_fields_read_the_request_gets_a_plan_for_each_list():
    class WithMethod(serializers.ModelSerializer):
        asked_by = serializers.SerializerMethodField()

        class Meta:
            model = Topic
            fields = ["code", "asked_by"]

        def get_asked_by(self, topic: Topic) -> str:
            return self.context["who"]

    first = plan_of(WithMethod(context={"who": "a"}))
    assert first is not plan_of(WithMethod(context={"who": "a"}))
    topic = Topic(code="x")
    assert render_row(topic, plan_of(WithMethod(context={"who": "b"})))["asked_by"] == "b"


def test_a_clients_cases_render_as_the_case_list_renders_them(cast, api_as, varied_cases):
    busy = varied_cases[3]
    api = api_as(cast.manager)
    of_the_client = api.get(f"/api/v1/clients/{busy.client_id}/cases/").json()["results"]
    listed = {row["id"]: row for row in api.get("/api/v1/cases/?page_size=50").json()["results"]}
    assert busy.pk in {row["id"] for row in of_the_client}
    for row in of_the_client:
        assert row == listed[row["id"]]


def test_a_change_to_a_cases_sets_shows_in_the_next_list(cast, api_as, varied_cases):
    busy = varied_cases[3]
    api = api_as(cast.manager)

    def row_of_busy() -> dict:
        rows = api.get("/api/v1/cases/?page_size=50").json()["results"]
        return next(row for row in rows if row["id"] == busy.pk)

    before = row_of_busy()
    assert before["co_counselors"] == [cast.coordinator.pk]
    assert len(before["topics"]) == 3
    colleague = member("yorozu", DeskRole.COUNSELOR, username="doryo")
    busy.refresh_from_db()
    services.case_update(
        case=busy,
        by=cast.coordinator,
        expected_version=None,
        topics=before["topics"][:1],
        co_counselors=[colleague, cast.coordinator],
    )
    after = row_of_busy()
    assert after["topics"] == before["topics"][:1]
    assert after["co_counselors"] == sorted([colleague.pk, cast.coordinator.pk])
    assert after == api.get(f"/api/v1/cases/{busy.pk}/").json()


def test_an_empty_page_reads_none_of_its_sets(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        read_sets([], [*CASE_LIST_SETS, *SESSION_SETS])


def test_a_page_reads_the_details_of_its_rows_desks_only(
    cast, varied_cases, django_assert_num_queries
):
    # The IP case moved to the hub keeps its details row, which the hub's page renders not.
    moved = varied_cases[2]
    Case.objects.filter(pk=moved.pk).update(desk=desk("yorozu"), sequence=9_999)
    plan = plan_of(CaseSerializer())
    rows = list(values_rows(selectors.case_rows_for_user(user=cast.manager), plan))
    hub = [row for row in rows if row["desk__code"] == "yorozu"]
    with django_assert_num_queries(2):  # the topics and the co-counselors
        read_sets(hub, CASE_LIST_SETS)
    disputes = [row for row in rows if row["desk__code"] == "subcontract"]
    with django_assert_num_queries(3):  # and the dispute details
        read_sets(disputes, CASE_LIST_SETS)
    for row, data in zip(
        [*hub, *disputes], CaseSerializer([*hub, *disputes], many=True).data, strict=True
    ):
        assert data == CaseSerializer(Case.objects.get(pk=row["id"])).data
    assert moved.pk in {row["id"] for row in hub}


def test_a_set_read_for_a_list_renders_as_read_and_one_of_instances_as_before(varied_cases):
    busy = Case.objects.prefetch_related("topics", "co_counselors").get(pk=varied_cases[3].pk)
    read_alone = CaseSerializer(busy).data
    read_sets([busy], CASE_SETS)
    assert isinstance(busy.topic_list, RenderedList)
    listed = CaseSerializer(busy).data
    assert listed["topics"] == read_alone["topics"]
    assert listed["co_counselors"] == read_alone["co_counselors"]


def test_a_case_read_as_values_renders_as_the_case_read_alone(cast, varied_cases):
    serializer = CaseSerializer()
    plan = plan_of(serializer)
    assert plan.reads_values
    rows = list(values_rows(selectors.case_rows_for_user(user=cast.manager), plan))
    read_sets(rows, CASE_LIST_SETS)
    assert all(isinstance(row, dict) for row in rows)
    assert {row["id"] for row in rows} == {case.pk for case in varied_cases}
    rendered = CaseSerializer(rows, many=True).data
    for row, data in zip(rows, rendered, strict=True):
        assert data == CaseSerializer(Case.objects.get(pk=row["id"])).data
        assert serializer.complete(row, render_row(row, plan)) == data
    # What the rows carry is what the plan names (and the case's id), not the whole case.
    listed = {"topic_list", "co_counselor_list", "subcontract", "ip"}
    assert set(rows[0]) == {"id", *plan.columns, *listed}
    assert "desk_id" not in rows[0] and "client_id" in rows[0]


def test_a_session_read_as_values_renders_as_the_session_read_alone(cast, varied_cases):
    busy = varied_cases[3]
    listed = SessionFactory(case=busy)
    listed.counselors.set([cast.counselor, cast.coordinator])
    listed.topics.set(Topic.objects.all()[:2])
    SessionFactory(case=varied_cases[0])
    plan = plan_of(SessionSerializer())
    rows = list(values_rows(selectors.session_rows_for_user(user=cast.manager), plan))
    read_sets(rows, SESSION_SETS)
    assert len(rows) == ConsultationSession.objects.count() > 2
    for row, data in zip(rows, SessionSerializer(rows, many=True).data, strict=True):
        assert data == SessionSerializer(ConsultationSession.objects.get(pk=row["id"])).data
        assert data["case_number"] == Case.objects.get(pk=row["case_id"]).number


def test_a_serializer_with_a_field_that_needs_the_instance_cannot_be_read_as_values():
    class WithMethod(serializers.ModelSerializer):
        shout = serializers.SerializerMethodField()

        class Meta:
            model = Topic
            fields = ["code", "shout"]

        def get_shout(self, topic: Topic) -> str:
            return topic.code.upper()

    plan = plan_of(WithMethod())
    assert not plan.reads_values
    with pytest.raises(ImproperlyConfigured):
        values_rows(Topic.objects.all(), plan)


def _walk(api, url: str) -> list[int]:
    """The ids of every page of `url`, following `next`; each page's `previous` is checked to
    give back the page before it."""
    ids: list[int] = []
    pages: list[dict] = []
    while url:
        page = api.get(url).json()
        if pages:
            assert page["previous"]
            assert api.get(page["previous"]).json()["results"] == pages[-1]["results"]
        pages.append(page)
        ids += [row["id"] for row in page["results"]]
        url = page["next"]
    return ids


# The orderings whose first key differs from case to case, and two that repeat theirs (the
# cursor holds every key of the order: `previous` is the page before among equal keys too).
@pytest.mark.parametrize(
    "ordering", ["", "number", "-number", "opened_at", "-updated_at", "status", "-priority"]
)
def test_the_case_lists_cursor_pages_walk_every_case_once_in_order(
    cast, api_as, varied_cases, ordering
):
    api = api_as(cast.manager)
    first = ordering or "-opened_at"
    expected = Case.objects.order_by(first, "-pk" if first.startswith("-") else "pk")
    walked = _walk(api, f"/api/v1/cases/?page_size=2&ordering={ordering}")
    assert walked == list(expected.values_list("pk", flat=True))
    assert sorted(walked) == sorted(case.pk for case in varied_cases)


def test_the_sessions_cursor_pages_walk_every_session_once_in_order(cast, api_as, varied_cases):
    busy = varied_cases[3]
    now = timezone.now()
    for hours in (5, 4, 4, 3, 1):
        SessionFactory(case=busy, started_at=now - dt.timedelta(hours=hours))
    api = api_as(cast.manager)
    # Every session lasts as long (the factory's): by duration is among equal keys.
    for ordering in ("", "started_at", "-duration_minutes"):
        whole = api.get(f"/api/v1/sessions/?page_size=200&ordering={ordering}").json()["results"]
        assert len(whole) == ConsultationSession.objects.count() > 5
        walked = _walk(api, f"/api/v1/sessions/?page_size=2&ordering={ordering}")
        assert walked == [row["id"] for row in whole]
    newest_first = [row["id"] for row in api.get("/api/v1/sessions/").json()["results"]]
    expected = ConsultationSession.objects.order_by("-started_at", "-id")
    assert newest_first == list(expected.values_list("pk", flat=True))
    # A case's sessions, a page of one at a time (their cursor is on the id).
    of_the_case = _walk(api, f"/api/v1/cases/{busy.pk}/sessions/?page_size=1")
    assert of_the_case == sorted(of_the_case, reverse=True)
    assert len(of_the_case) == busy.sessions.count() >= 5


def test_a_values_row_keeps_a_text_a_number_a_flag_and_a_choice_as_the_column_gives_them():
    cases = {name: convert for name, _, convert in plan_of(CaseSerializer()).of_values()}
    sessions = {name: convert for name, _, convert in plan_of(SessionSerializer()).of_values()}
    as_read = ["id", "number", "fiscal_year", "title", "status", "priority", "confidentiality"]
    as_read += ["on_exit_track", "closure_reason", "closure_summary", "hold_reason", "version"]
    assert all(cases[name] is None for name in as_read)
    assert cases["resume_by"] is dt.date.isoformat
    assert cases["topics"] is list
    assert all(sessions[name] is None for name in ["case_number", "mode", "duration_minutes"])


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "UTC", "America/New_York"])
def test_a_values_row_renders_its_dates_and_timestamps_as_drf_does_in_the_current_time_zone(
    zone,
):
    fields = SessionSerializer().fields
    timestamps = [
        dt.datetime(2026, 3, 31, 15, 0, tzinfo=dt.UTC),  # the fiscal year's turn in JST
        dt.datetime(2026, 3, 8, 6, 59, 59, 999_999, tzinfo=dt.UTC),  # New York's DST starts
        dt.datetime(2016, 11, 6, 5, 30, 0, 1, tzinfo=dt.UTC),  # and ends
        dt.datetime(2020, 2, 29, 0, 0, tzinfo=dt.UTC),
    ]
    dates = [dt.date(2026, 4, 1), dt.date(2020, 2, 29), dt.date(1, 1, 1)]
    with timezone.override(zone):
        steps = {name: convert for name, _, convert in plan_of(SessionSerializer()).of_values()}
        for value in timestamps:
            for name in ("started_at", "created_at"):
                assert steps[name](value) == fields[name].to_representation(value)
        for value in dates:
            assert steps["follow_up_on"](value) == fields["follow_up_on"].to_representation(value)
    if zone == "UTC":
        assert steps["started_at"](timestamps[0]) == "2026-03-31T15:00:00Z"


def test_a_list_rendered_in_another_time_zone_renders_its_rows_as_read_alone_there(
    cast, varied_cases
):
    plan = plan_of(CaseSerializer())
    listed = selectors.case_rows_for_user(user=cast.manager)
    in_japan = list(values_rows(listed, plan))
    read_sets(in_japan, CASE_LIST_SETS)
    assert not CaseSerializer(in_japan, many=True).data[0]["opened_at"].endswith("Z")
    with timezone.override("UTC"):
        rows = list(values_rows(listed, plan))
        read_sets(rows, CASE_LIST_SETS)
        rendered = CaseSerializer(rows, many=True).data
        for row, data in zip(rows, rendered, strict=True):
            assert data == CaseSerializer(Case.objects.get(pk=row["id"])).data
            assert data["opened_at"].endswith("Z")


def test_a_field_with_its_own_format_or_conversion_keeps_it_in_a_values_row(varied_cases):
    class Shouting(serializers.CharField):
        def to_representation(self, value: object) -> str:
            return str(value).upper()

    class OwnWays(serializers.ModelSerializer):
        opened_at = serializers.DateTimeField(format="%Y年%m月%d日 %H時", read_only=True)
        updated_at = serializers.DateTimeField(default_timezone=dt.UTC, read_only=True)
        resume_by = serializers.DateField(format="%d/%m/%Y", read_only=True)
        status = Shouting(read_only=True)
        fiscal_year = serializers.CharField(read_only=True)
        on_exit_track = serializers.IntegerField(read_only=True)

        class Meta:
            model = Case
            fields = ["id", "opened_at", "updated_at", "resume_by", "status", "fiscal_year"]
            fields += ["on_exit_track", "closed_at"]

    plan = plan_of(OwnWays())
    steps = {name: convert for name, _, convert in plan.of_values()}
    assert steps["closed_at"] is not None and steps["id"] is None
    assert all(steps[name] is not None for name in ["opened_at", "updated_at", "status"])
    on_hold = Case.objects.get(pk=varied_cases[4].pk)
    assert on_hold.resume_by is not None
    for row in values_rows(Case.objects.all(), plan):
        data = OwnWays(Case.objects.get(pk=row["id"])).data
        assert render_row(row, plan) == data
        assert data["updated_at"].endswith("Z") and data["fiscal_year"] == str(row["fiscal_year"])


def test_a_case_and_a_session_answered_alone_are_what_drfs_own_rendering_gives(
    cast, api_as, varied_cases
):
    """A one-object answer is rendered by its serializer's plan (`ReadViewSet.rendered_one`):
    the body DRF's walk of the serializer's fields gives, desk details included."""
    import json

    from rest_framework.renderers import JSONRenderer

    def drf(data) -> dict:
        return json.loads(JSONRenderer().render(data))

    api = api_as(cast.manager)
    sessions = [SessionFactory(case=varied_cases[3]), *ConsultationSession.objects.all()]
    for case in varied_cases:
        read = selectors.case_get_for_user(user=cast.manager, pk=case.pk)
        assert api.get(f"/api/v1/cases/{case.pk}/").json() == drf(CaseSerializer(read).data)
    for session in sessions:
        read = selectors.session_get_for_user(user=cast.manager, pk=session.pk)
        answer = api.get(f"/api/v1/sessions/{session.pk}/").json()
        assert answer == drf(SessionSerializer(read).data)
    assert "desk_details" in api.get(f"/api/v1/cases/{varied_cases[2].pk}/").json()
