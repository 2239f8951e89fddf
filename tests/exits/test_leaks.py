"""A case on the exit track leaks nowhere (docs/rules.md, "Visibility"): every web route and
every API route, walked from the URL resolver, as each user outside the exit team, its
counselors and managers, never shows its number, title or client; the team, its counselors
and managers reach it, and every read of it writes an access-log row.

Routes without a parameter are asked with a search for the case (`q` and `search`); routes
with a parameter are asked with every desk, the case's client, the case itself and its
referral, its dispatches and their visit. The object routes' 404s for strangers are
test_route_permissions.py's walk.

Dispatches on the exit track (docs/exits.md): the program desk's coordinators approve a
restricted case's dispatch from the request alone (purpose, days, expert, client name), and the
dispatched expert sees their own dispatch as for any case; neither ever sees the case's number
or title, and each of their reads of it is logged. The same holds for the files on the visit's
report (attachments, docs/security.md): they follow the dispatch, not the case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.api.services import token_issue
from casebook.attachments import services as attachment_services
from casebook.attachments.models import Attachment
from casebook.common.extensions import registry
from casebook.experts.models import DispatchVisit
from casebook.intake.models import AccessLog
from tests.factories import (
    ClientFactory,
    DispatchFactory,
    ExpertFactory,
    ProgramFactory,
    SessionFactory,
    UserFactory,
    exit_candidate,
    member,
    on_exit_track,
    refer_internal,
    response_bytes,
)
from tests.test_route_permissions import DESKS, PUBLIC, ROUTES, Route, _ask

pytestmark = pytest.mark.django_db

TITLE = "極秘の廃業準備"
CLIENT = "秘匿精機株式会社"
# Pages about the client register itself: a client is shared by every desk (intake searches
# before it creates), so its name may show there; the case's number and title never do.
CLIENT_REGISTER = {
    "client_detail",
    "client_edit",
    "client_merge",
    "contact_new",
    "contact_edit",
    "client-detail",
    "client-list",
    "search",
    "intake",
    "intake_duplicates",
}
# Who sees the case the referral opened at the ip desk (and so its client's name).
THE_IP_CASE_SEEN_BY = {"colleague", "auditor"}
SKIPPED = {"logout", "read_all", "api-token"}  # they log out, mark read, or ask a password
PURPOSE = "資金繰り改善の専門家指導"
PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def attachment_store(settings, tmp_path):
    settings.CASEBOOK_ATTACHMENTS_DIR = str(tmp_path / "attachments")


def _world(cast):
    client = ClientFactory(name=CLIENT)
    case = exit_candidate(cast, title=TITLE, client=client)
    SessionFactory(case=case)
    # The ip desk had the file shared; the case the referral opened there is the ip desk's
    # own (its own number and title), and the client is its client too.
    referral = refer_internal(
        case, "ip", by=cast.counselor, share_full_file=True, title="商標出願の相談"
    )
    plan = on_exit_track(case, by=cast.exit_team)
    case.refresh_from_db()
    # Two dispatches of the expert dispatch program: one waiting for approval, one under way
    # with a visit (the expert's own).
    program = ProgramFactory(code="leak-expert")
    expert = ExpertFactory(user=UserFactory(username="expertlogin"))
    DispatchFactory(case=case, program=program, expert=expert, purpose=PURPOSE)
    under_way = DispatchFactory(
        case=case,
        program=program,
        expert=expert,
        purpose=PURPOSE,
        status="scheduled",
        approved_days=Decimal("2.0"),
        approved_at=timezone.now(),
    )
    visit = DispatchVisit.objects.create(
        dispatch=under_way,
        expert=expert,
        date=timezone.localdate() - dt.timedelta(days=1),
        day_fraction=Decimal("1.0"),
    )
    # A file of the case itself, and one the expert attached to the visit's report.
    attachment_services.attachment_add(
        case=case, by=cast.counselor, upload=SimpleUploadedFile("決算書.pdf", PDF_BYTES)
    )
    attachment_services.attachment_add_to(
        host=registry.attachment_host("visit"),
        obj=visit,
        by=expert.user,
        upload=SimpleUploadedFile("現場写真.pdf", PDF_BYTES),
    )
    return case, referral, plan


def _values(kind: str, case, referral, plan) -> list:
    return {
        "desk": list(DESKS),
        "client": [case.client_id],
        "case": [case.pk],
        "referral": [referral.pk],
        "exit_plan": [plan.pk],
        "exit_milestone": [plan.milestones.first().pk],
        "dispatch": sorted(case.dispatches.values_list("pk", flat=True)),
        "visit": list(
            DispatchVisit.objects.filter(dispatch__case=case).values_list("pk", flat=True)
        ),
        "attachment": sorted(Attachment.objects.filter(case=case).values_list("pk", flat=True)),
    }.get(kind, [])


def _requests(case, referral, plan) -> Iterator[tuple[Route, str]]:
    from tests.test_route_permissions import PARAMETER_KINDS

    for route in ROUTES:
        if route.is_admin or route.name in PUBLIC or route.name in SKIPPED:
            continue
        if not route.kwargs:
            base = reverse(route.name)
            # Parts of each secret: a page may echo its query back.
            for query in (case.number[-5:], TITLE[:4], CLIENT[:4]):
                yield route, f"{base}?q={query}&search={query}"
            continue
        kinds = PARAMETER_KINDS[route.name]
        combos: list[dict] = [{}]
        for name in route.kwargs:
            values = _values(kinds[name], case, referral, plan)
            if not values and kinds[name] not in ("approve",):
                combos = []
                break
            values = values or [kinds[name]]
            combos = [{**combo, name: value} for combo in combos for value in values]
        for kwargs in combos:
            yield route, reverse(route.name, kwargs=kwargs)


def _api(user) -> WebClient:
    client = WebClient(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[1]}")
    return client


def _web(user) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def _leaks(user, case, referral, plan, *, client_is_theirs: bool) -> list[str]:
    web, api = _web(user), _api(user)
    found = []
    for route, url in _requests(case, referral, plan):
        response = _ask(api if route.is_api else web, route, url)
        if response.status_code >= 500:
            found.append(f"{route.label} {url}: {response.status_code}")
            continue
        body = response_bytes(response).decode(errors="replace")
        secrets = [case.number, TITLE]
        if route.name not in CLIENT_REGISTER and not client_is_theirs:
            secrets.append(CLIENT)
        shown = [secret for secret in secrets if secret in body]
        if shown:
            found.append(f"{route.label} {url}: shows {shown}")
    return found


@pytest.mark.parametrize("who", ["coordinator", "desk_counselor", "auditor", "colleague"])
def test_a_case_on_the_exit_track_shows_nowhere_to_anyone_outside_the_team(cast, who):
    case, referral, plan = _world(cast)
    users = {
        "coordinator": cast.coordinator,  # put cases on the track, but is not its counselor
        "desk_counselor": member("yorozu", DeskRole.COUNSELOR, username="another"),
        "auditor": cast.auditor,  # reads every case that is not restricted
        "colleague": cast.colleague,  # of the ip desk, which had the case's file shared
    }
    leaks = _leaks(users[who], case, referral, plan, client_is_theirs=who in THE_IP_CASE_SEEN_BY)
    assert not leaks, "\n".join(leaks)
    assert not AccessLog.objects.filter(user=users[who]).exists()


@pytest.mark.parametrize("who", ["exit_team", "counselor", "manager"])
def test_the_team_its_counselors_and_managers_reach_it_and_each_read_is_logged(cast, who):
    case, _referral, plan = _world(cast)
    user = getattr(cast, who)
    web, api = _web(user), _api(user)
    reads = [
        (web, reverse("case_detail", args=[case.pk])),
        (web, reverse("exits:plan", args=[plan.pk])),
        (api, reverse("case-detail", args=[case.pk])),
        (api, reverse("exit-plan-detail", args=[plan.pk])),
    ]
    for n, (client, url) in enumerate(reads, start=1):
        response = client.get(url)
        assert response.status_code == 200, url
        assert case.number in response.content.decode() or client is api
        assert AccessLog.objects.filter(user=user, case=case).count() == n


@pytest.mark.parametrize("who", ["program_coordinator", "expert"])
def test_the_dispatch_approvers_and_the_expert_see_the_request_never_the_case_file(cast, who):
    case, referral, plan = _world(cast)
    users = {
        "program_coordinator": member("dispatch", DeskRole.COORDINATOR, username="dispatchcoord"),
        "expert": case.dispatches.first().expert.user,
    }
    user = users[who]
    # The visit report's files: theirs to read (and to add); the case's own files are not.
    visit = DispatchVisit.objects.get(dispatch__case=case)
    visit_file = Attachment.objects.get(visit=visit)
    case_file = Attachment.objects.get(visit=None)
    report = _web(user).get(reverse("experts:visit_report", args=[visit.pk])).content.decode()
    assert visit_file.name in report and case_file.name not in report
    assert case.number not in report and TITLE not in report
    download = reverse("attachments:download", args=[visit_file.pk])
    assert _web(user).get(download).status_code == 200
    assert _api(user).get(reverse("attachment-detail", args=[visit_file.pk])).status_code == 200
    refused = reverse("attachments:download", args=[case_file.pk])
    assert _web(user).get(refused).status_code == 404

    # The client's name is part of the request they decide on or visit (the walk below
    # unschedules the visit: its files stay with the case).
    leaks = _leaks(user, case, referral, plan, client_is_theirs=True)
    assert not leaks, "\n".join(leaks)

    shown = case.dispatches.order_by("pk")
    if who == "expert":
        shown = shown.filter(status="scheduled")  # an expert sees a dispatch once approved
    logged_before = AccessLog.objects.filter(user=user, case=case).count()
    for dispatch in shown:
        page = _web(user).get(reverse("experts:dispatch", args=[dispatch.pk]))
        body = page.content.decode()
        assert page.status_code == 200
        assert PURPOSE in body and CLIENT in body and dispatch.expert.name in body
        assert case.number not in body and TITLE not in body
    assert AccessLog.objects.filter(user=user, case=case).count() == logged_before + shown.count()
    assert _web(user).get(reverse("case_detail", args=[case.pk])).status_code == 404
