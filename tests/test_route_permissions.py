"""Every route of the site and of the API, walked from the URL resolver, answers a stranger
404 (docs/rules.md, "Visibility") and an anonymous visitor the login (or 401).

No route is listed by hand except those that are public on purpose (`PUBLIC`, each with its
reason) and the kind of object each path parameter names (`PARAMETER_KINDS`): a new route is
walked without anyone remembering it, and a new route with a parameter fails here until its
parameter is classified. The strangers are a login with no desk role, an expert's login, and
a counselor of each desk facing the objects of another desk (normal, confidential and
restricted cases, their sessions, referrals, dispatches and visits). Routes without a
parameter must not show a stranger the titles of those cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from casebook.accounts.models import DeskRole, User
from casebook.api.services import token_issue
from casebook.attachments.models import Attachment
from casebook.common.routes import Route, all_routes
from casebook.exits.models import ExitPlan, Milestone
from casebook.experts.models import DispatchVisit
from casebook.intake.models import ClientContact, ClientOutcome
from casebook.notifications.models import Notification
from casebook.reports.models import Activity
from tests.factories import (
    BookingFactory,
    CaseFactory,
    ConflictDeclarationFactory,
    DayExceptionFactory,
    DispatchFactory,
    ExpertFactory,
    OfficeFactory,
    PartnerFactory,
    ProgramFactory,
    ScheduleRuleFactory,
    SessionFactory,
    SlotFactory,
    UserFactory,
    desk,
    member,
    refer_internal,
    response_bytes,
)

DESKS = ("yorozu", "ip", "subcontract", "trade", "dispatch", "matching")
SECRET = "非公開案件"  # in the titles of the cases strangers may not see
QUERY = "非公開"  # what the lists are searched for (a page may echo it back)

# Routes anyone may call, logged in or not, and why.
PUBLIC = {
    "login": "the login page",
    "logout": "logging out needs no permission (POST only)",
    "set_language": "the language switch is on the login page too",
    "experts:feed": "calendar apps fetch an expert's iCal feed without a session; the token "
    "in the URL is the secret, and an unknown token answers 404",
    "api-token": "exchanging a username and password for an API token",
    "notifications:unsubscribe": "the digest's unsubscribe link is opened from a mail, without "
    "a session; its signed token names the login, and a bad token changes nothing",
    "satellites:public_offices": "the public booking form: the satellite offices",
    "satellites:public_book": "the public booking form: an office's days, free times and the "
    "form itself; it shows free times only, never who booked",
    "satellites:public_done": "the public booking form's thank-you page (it names no booking)",
    "satellites:public_cancel": "the cancellation link in a booking's confirmation mail, "
    "opened without a session; its signed token names the booking, a bad one cancels nothing",
    "survey_answer": "the satisfaction survey's page, opened from the mail without a session; "
    "the random token in the URL is the secret (only its hash is stored), an unknown one "
    "answers 404, and the page names no case",
    "": "the API's catch-all answers 404 in the API's error shape to everyone",
}

# Routes without an object that every login may call, whatever its roles, and why.
ANY_LOGIN = {
    "postal_code_place": "the place of a postal code is Japan Post's public data; the intake "
    "and client forms ask it while a code is typed",
}

# What each path parameter of each route names. A route with a parameter that is not listed
# here fails the walk: classify it (and, for a new kind, say below who may read it).
PARAMETER_KINDS: dict[str, dict[str, str]] = {
    # the core screens
    "desk_board": {"code": "desk"},
    "desk_board_columns": {"code": "desk"},
    "desk_board_more": {"code": "desk"},
    **{
        name: {"pk": "case"}
        for name in (
            "case_detail",
            "case_timeline",
            "case_edit",
            "case_desk_details",
            "case_assign",
            "case_hold",
            "case_resume",
            "case_close",
            "case_reopen",
            "case_record",
            "session_new",
        )
    },
    "session_edit": {"pk": "session"},
    "client_detail": {"pk": "client"},
    "client_edit": {"pk": "client"},
    "client_personal_data": {"pk": "client"},
    "client_merge": {"pk": "client"},
    "contact_new": {"pk": "client"},
    "contact_edit": {"pk": "client", "contact_pk": "contact"},
    # referrals
    "referrals:desk": {"code": "desk"},
    **{
        f"referrals:{name}": {"pk": "referral"}
        for name in ("detail", "accept", "decline", "acknowledge", "report_outcome", "checklist")
    },
    # reports
    "reports:activity": {"pk": "activity"},
    "reports:activity_edit": {"pk": "activity"},
    "reports:activity_participant_add": {"pk": "activity"},
    "reports:activity_participant_remove": {"pk": "activity"},
    "reports:outcome_record": {"pk": "case"},
    # expert dispatch
    "experts:expert": {"pk": "expert"},
    "experts:conflict_create": {"pk": "expert"},
    "experts:dispatch": {"pk": "dispatch"},
    "experts:order": {"pk": "dispatch"},
    "experts:visit_create": {"pk": "dispatch"},
    "experts:action": {"pk": "dispatch", "action": "approve"},
    "object_history": {"kind": "history_of_cases", "pk": "case"},
    "experts:new": {"case_id": "case"},
    "experts:visit_report": {"pk": "visit"},
    "experts:visit_delete": {"pk": "visit"},
    # the API
    "desk-detail": {"code": "reference_desk"},
    "office-detail": {"pk": "reference_office"},
    "topic-detail": {"code": "reference_topic"},
    "client-detail": {"pk": "client"},
    "client-cases": {"pk": "client"},
    "client-contacts": {"pk": "client"},
    "client-contact": {"pk": "client", "contact_pk": "contact"},
    **{
        f"case-{name}": {"pk": "case"}
        for name in (
            "detail",
            "assign",
            "close",
            "details",
            "hold",
            "reopen",
            "resume",
            "sessions",
        )
    },
    "session-detail": {"pk": "session"},
    "activity-detail": {"pk": "activity"},
    "outcome-detail": {"pk": "outcome"},
    "expert-detail": {"pk": "expert"},
    "expert-conflicts": {"pk": "expert"},
    "conflict-detail": {"pk": "conflict"},
    "conflict-withdraw": {"pk": "conflict"},
    "program-detail": {"pk": "program"},
    **{
        f"dispatch-{name}": {"pk": "dispatch"}
        for name in (
            "detail",
            "approve",
            "cancel",
            "complete",
            "final-report",
            "override-conflict",
            "reject",
            "settle",
            "submit",
        )
    },
    "dispatch-visit-list": {"dispatch_pk": "dispatch"},
    "dispatch-visit-detail": {"dispatch_pk": "dispatch", "pk": "visit"},
    **{
        f"referral-{name}": {"pk": "referral"}
        for name in ("detail", "accept", "acknowledge", "decline", "report-outcome")
    },
    "partner-detail": {"pk": "partner"},
    # the exit track
    "exits:put_on": {"pk": "case"},
    "exits:plan": {"pk": "exit_plan"},
    "exits:take_off": {"pk": "exit_plan"},
    **{
        f"exits:milestone_{name}": {"pk": "exit_milestone"}
        for name in ("edit", "complete", "reopen")
    },
    **{f"exit-plan-{name}": {"pk": "exit_plan"} for name in ("detail", "take-off")},
    **{
        f"exit-milestone-{name}": {"pk": "exit_milestone"}
        for name in ("detail", "complete", "reopen")
    },
    # satellites
    "satellites:day": {"code": "satellite_office"},
    "satellites:check_in": {"pk": "booking"},
    "satellites:no_show": {"pk": "booking"},
    "satellites:cancel": {"pk": "booking"},
    "satellites:schedule": {"code": "satellite_office"},
    "satellites:rule_new": {"code": "satellite_office"},
    "satellites:rule_edit": {"code": "satellite_office", "pk": "schedule_rule"},
    "satellites:day_new": {"code": "satellite_office"},
    "satellites:day_delete": {"code": "satellite_office", "pk": "day_exception"},
    "satellites:slot_minutes": {"code": "satellite_office"},
    "satellites:generate": {"code": "satellite_office"},
    "satellites:book": {"pk": "slot"},
    "slot-detail": {"pk": "slot"},
    **{
        f"booking-{name}": {"pk": "booking"} for name in ("detail", "check-in", "no-show", "cancel")
    },
    # notifications
    "notifications:open": {"pk": "notification"},
    "notifications:read": {"pk": "notification"},
    "notification-read": {"pk": "notification"},
    # attachments: through the case they are attached to, or their visit's dispatch
    "attachments:new": {"pk": "case"},
    "attachments:visit_new": {"pk": "visit"},
    "attachments:download": {"pk": "attachment"},
    "visit-attachment-list": {"pk": "visit"},
    "case-attachment-list": {"pk": "case"},
    "session-attachment-list": {"pk": "session"},
    "attachment-detail": {"pk": "attachment"},
    "attachment-download": {"pk": "attachment"},
    # API tokens: only their owner reaches them
    "token_revoke": {"pk": "token"},
    "token-detail": {"pk": "token"},
    "token-revoke": {"pk": "token"},
}

# Kinds some strangers may read by design, and why; everything else answers them 404.
READABLE_BY: dict[str, tuple[set[str], str]] = {
    "reference_desk": ({"outsider", "expert", "counselor"}, "reference data for every login"),
    "reference_office": ({"outsider", "expert", "counselor"}, "reference data for every login"),
    "reference_topic": ({"outsider", "expert", "counselor"}, "reference data for every login"),
    "client": ({"counselor"}, "the client register is shared by every desk (intake searches it)"),
    "contact": ({"counselor"}, "a client's contacts are shared with the client register"),
    "expert": ({"counselor"}, "staff read the expert roster"),
    "conflict": ({"counselor"}, "staff read the roster's conflict declarations"),
    "program": ({"counselor", "expert"}, "staff and experts read the dispatch programs"),
    "partner": ({"counselor"}, "staff read the partner registry"),
    "satellite_office": ({"counselor"}, "staff of every desk read the satellite schedules"),
    "slot": ({"counselor"}, "staff of every desk read the satellite schedules"),
    "schedule_rule": ({"counselor"}, "staff of every desk read the satellite schedules"),
    "day_exception": ({"counselor"}, "staff of every desk read the satellite schedules"),
    "booking": (
        {"counselor"},
        "staff of every desk serve the satellite counters (the client register is shared too)",
    ),
}


# --- the walk -----------------------------------------------------------------------------


ROUTES = all_routes()
SITE_ROUTES = [r for r in ROUTES if not r.is_admin and r.name not in PUBLIC]
PARAMETER_ROUTES = [r for r in SITE_ROUTES if r.kwargs]


def test_every_route_with_a_parameter_is_classified():
    unclassified = [
        route.label
        for route in PARAMETER_ROUTES
        if set(PARAMETER_KINDS.get(route.name, {})) != set(route.kwargs)
    ]
    assert not unclassified, f"classify the parameters of {unclassified} in PARAMETER_KINDS"
    stale = set(PARAMETER_KINDS) - {route.name for route in PARAMETER_ROUTES}
    assert not stale, f"PARAMETER_KINDS names routes that no longer exist: {sorted(stale)}"


def test_the_routes_for_any_login_exist_and_answer_a_login_with_no_role(db):
    assert set(ANY_LOGIN) <= {route.name for route in SITE_ROUTES if not route.kwargs}
    nobody = _logged_in(UserFactory(username="nobody"))
    for name in ANY_LOGIN:
        assert nobody.get(reverse(name)).status_code == 200, name


def test_the_public_routes_exist():
    assert set(PUBLIC) <= {route.name for route in ROUTES}


# --- the objects strangers must not reach ----------------------------------------------------


@dataclass
class World:
    objects: dict[str, list[Any]]
    desk_code: str

    def values(self, kind: str) -> list[Any]:
        if kind == "desk":
            return [self.desk_code]
        if kind == "reference_desk":
            return ["yorozu"]
        if kind == "reference_topic":
            return ["finance"]
        if kind in ("approve",):
            return [kind]
        if kind == "history_of_cases":
            return ["cases"]
        if kind == "satellite_office":
            return [office.code for office in self.objects[kind]]
        return [obj.pk for obj in self.objects[kind]]


def _desk_of_others(*excluded: str) -> str:
    return next(code for code in DESKS if code not in excluded)


def build_world(*, foreign: str, viewer_desks: tuple[str, ...] = ()) -> World:
    """Objects of the desk `foreign` (and of a third desk) that a stranger may not reach."""
    lead = member(foreign, DeskRole.COUNSELOR, username=f"lead_{foreign}")
    far_office = OfficeFactory(code="satellite-far")
    normal = CaseFactory(
        desk=desk(foreign), status="active", lead_counselor=lead, title=f"{SECRET} 通常"
    )
    confidential = CaseFactory(
        desk=desk(foreign),
        status="active",
        lead_counselor=lead,
        confidentiality="confidential",
        title=f"{SECRET} 秘",
    )
    exit_lead = member("yorozu", DeskRole.EXIT_TEAM, username="exit_lead")
    restricted = CaseFactory(
        desk=desk("yorozu"),
        status="active",
        confidentiality="restricted",
        on_exit_track=True,
        lead_counselor=exit_lead,
        title=f"{SECRET} 限定",
        fiscal_year=2019,
    )
    plan = ExitPlan.objects.create(
        case=restricted, path="orderly_closure", owner=exit_lead, started_on=timezone.localdate()
    )
    milestone = Milestone.objects.create(plan=plan, code="initial_diagnosis", name="初期診断")
    third = _desk_of_others(foreign, *viewer_desks)
    referral = refer_internal(normal, third, by=lead, share_full_file=True)
    program = ProgramFactory(code="expert", quota_days=Decimal("800.0"))
    other_expert = ExpertFactory(name="別の専門家")
    dispatch = DispatchFactory(
        case=normal,
        program=program,
        expert=other_expert,
        status="scheduled",
        requested_by=lead,
        approved_days=Decimal("2.0"),
        approved_at=timezone.now(),
    )
    visit = DispatchVisit.objects.create(
        dispatch=dispatch,
        expert=other_expert,
        date=timezone.localdate() - dt.timedelta(days=3),
        day_fraction=Decimal("1.0"),
    )
    return World(
        desk_code=foreign,
        objects={
            "case": [normal, confidential, restricted],
            "client": [normal.client],
            "contact": [ClientContact.objects.create(client=normal.client, name="担当 太郎")],
            "session": [SessionFactory(case=normal), SessionFactory(case=restricted)],
            "referral": [referral],
            "dispatch": [dispatch],
            "visit": [visit],
            "expert": [other_expert],
            "conflict": [ConflictDeclarationFactory(expert=other_expert)],
            "program": [program],
            "partner": [PartnerFactory()],
            "token": [token_issue(user=lead)[0]],
            "attachment": [
                Attachment.objects.create(
                    case=case,
                    name=f"{SECRET}.pdf",
                    content_type="application/pdf",
                    size=1,
                    sha256="0" * 64,
                    stored_name=f"route-walk/{case.pk}",
                    uploaded_by=lead,
                )
                for case in (normal, confidential, restricted)
            ]
            + [
                Attachment.objects.create(
                    case=normal,
                    visit=visit,
                    name=f"{SECRET} 訪問.pdf",
                    content_type="application/pdf",
                    size=1,
                    sha256="0" * 64,
                    stored_name="route-walk/visit",
                    uploaded_by=lead,
                )
            ],
            "notification": [
                Notification.objects.create(
                    recipient=lead, kind="updated", subject_type="intake.case", subject_id=normal.pk
                )
            ],
            "reference_office": [OfficeFactory()],
            "activity": [
                Activity.objects.create(
                    kind="seminar",
                    desk=desk(foreign),
                    title=f"{SECRET} セミナー",
                    held_on=timezone.localdate(),
                    online=True,
                    created_by=lead,
                )
            ],
            "outcome": [
                ClientOutcome.objects.create(
                    client=case.client, case=case, reported_on=timezone.localdate(), employees=3
                )
                for case in (normal, restricted)
            ],
            "exit_plan": [plan],
            "exit_milestone": [milestone],
            "satellite_office": [far_office],
            "schedule_rule": [ScheduleRuleFactory(office=far_office)],
            "day_exception": [DayExceptionFactory(office=far_office, date=dt.date(2030, 1, 8))],
            "booking": [BookingFactory()],
            "slot": [SlotFactory()],
        },
    )


# --- asking -----------------------------------------------------------------------------------


def _urls(route: Route, world: World) -> Iterator[str]:
    kinds = PARAMETER_KINDS.get(route.name, {})
    choices = [(name, world.values(kinds[name])) for name in route.kwargs]
    combos: list[dict[str, Any]] = [{}]
    for name, values in choices:
        combos = [{**combo, name: value} for combo in combos for value in values]
    for kwargs in combos:
        yield reverse(route.name, kwargs=kwargs)


def _ask(client: WebClient, route: Route, url: str) -> Any:
    """GET, or POST (an empty body) where the route takes only POST."""
    headers = {"HTTP_ACCEPT": "application/json"} if route.is_api else {}
    response = client.get(url, **headers)
    if response.status_code == 405:
        if route.is_api:
            response = client.post(url, {}, content_type="application/json", **headers)
        else:
            response = client.post(url, {})
    return response


def _stranger_kind(login: str) -> str:
    return "counselor" if login.startswith("counselor") else login


def _assert_strangers_get_404(client: WebClient, login: str, world: World) -> None:
    failures = []
    for route in PARAMETER_ROUTES:
        kinds = set(PARAMETER_KINDS[route.name].values())
        if any(_stranger_kind(login) in READABLE_BY.get(k, (set(), ""))[0] for k in kinds):
            continue
        for url in _urls(route, world):
            response = _ask(client, route, url)
            if response.status_code != 404:
                failures.append(f"{route.label} {url}: {response.status_code}")
    assert not failures, f"{login} reached:\n" + "\n".join(failures)


def _assert_lists_hide_the_secret(client: WebClient, login: str) -> None:
    failures = []
    for route in SITE_ROUTES:
        if route.kwargs:
            continue
        url = reverse(route.name) + f"?q={QUERY}"
        response = _ask(client, route, url)
        if response.status_code >= 500:
            failures.append(f"{route.label}: {response.status_code}")
        elif SECRET in response_bytes(response).decode(errors="replace"):
            failures.append(f"{route.label}: shows {SECRET}")
    assert not failures, f"{login}:\n" + "\n".join(failures)


def _logged_in(user: User) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("viewer_desk", DESKS)
def test_a_counselor_reaches_no_object_of_another_desk(db, viewer_desk):
    foreign = {"yorozu": "ip"}.get(viewer_desk, "yorozu")
    counselor = member(viewer_desk, DeskRole.COUNSELOR, username=f"counselor_{viewer_desk}")
    world = build_world(foreign=foreign, viewer_desks=(viewer_desk,))
    client = _logged_in(counselor)
    _assert_strangers_get_404(client, f"counselor of {viewer_desk}", world)
    _assert_lists_hide_the_secret(client, f"counselor of {viewer_desk}")


def test_a_login_with_no_desk_role_reaches_no_object(db):
    world = build_world(foreign="yorozu")
    client = _logged_in(UserFactory(username="nobody"))
    _assert_strangers_get_404(client, "outsider", world)
    _assert_lists_hide_the_secret(client, "outsider")


def test_an_experts_login_reaches_no_object_but_its_own(db):
    world = build_world(foreign="yorozu")
    user = UserFactory(username="expert_login")
    ExpertFactory(user=user, name="本人の専門家")
    client = _logged_in(user)
    _assert_strangers_get_404(client, "expert", world)
    _assert_lists_hide_the_secret(client, "expert")


# --- anonymous visitors and the admin ---------------------------------------------------------


def test_an_anonymous_visitor_gets_the_login_or_401_on_every_route(db):
    world = build_world(foreign="yorozu")
    client = WebClient()
    failures = []
    for route in SITE_ROUTES:
        urls = list(_urls(route, world)) if route.kwargs else [reverse(route.name)]
        for url in urls[:1]:
            response = _ask(client, route, url)
            if route.is_api:
                ok = response.status_code == 401
            else:
                ok = response.status_code == 302 and response["Location"].startswith(
                    "/accounts/login/"
                )
            if not ok:
                failures.append(f"{route.label} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)


ADMIN_KWARGS = {"object_id": "1", "id": "1", "content_type_id": "1", "url": "x"}


def _admin_url(route: Route) -> str | None:
    if route.positional:
        return reverse(route.name, args=["1"] * route.positional)
    kwargs = {name: ADMIN_KWARGS.get(name, "") for name in route.kwargs}
    if "app_label" in kwargs:
        for label in ("intake", "accounts", "experts", "referrals", "auth"):
            try:
                return reverse(route.name, kwargs={**kwargs, "app_label": label})
            except NoReverseMatch:
                continue
        return None
    return reverse(route.name, kwargs=kwargs)


def test_the_admin_lets_in_only_staff_logins(db):
    """The admin site has its own login and admits `is_staff` logins only; none of the cast
    is one, so every admin route sends them to the admin's login."""
    outsider = _logged_in(UserFactory(username="nobody"))
    counselor = _logged_in(member("yorozu", DeskRole.COUNSELOR, username="counselor"))
    failures = []
    admin_routes = [route for route in ROUTES if route.is_admin]
    assert admin_routes
    for route in admin_routes:
        if route.name in ("", "admin:login", "admin:logout"):
            continue  # the admin's own login, and its catch-all (a redirect to the index)
        url = _admin_url(route)
        if url is None:
            continue
        for client in (WebClient(), outsider, counselor):
            response = client.get(url)
            if not (response.status_code == 302 and "/admin/login/" in response["Location"]):
                failures.append(f"{route.label} {url}: {response.status_code}")
                break
    assert not failures, "\n".join(failures)


def test_a_login_with_no_desk_role_gets_404_on_a_desks_referrals(db):
    """What the walk found first: every desk's referral page was open to such a login."""
    client = _logged_in(UserFactory(username="nobody"))
    assert client.get("/referrals/desks/yorozu/").status_code == 404
    assert client.get("/referrals/").status_code == 404
