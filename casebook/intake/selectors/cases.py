"""Reads of cases: the policy-filtered list, the getters that answer 404, and the shapes the
screens need (my open work, search, a client's cases and outcomes, a desk's own details)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from django.db import connections
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.db.models.query import MAX_GET_RESULTS
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.japanese import normalize_text, search_key
from casebook.common.lookups import in_ids
from casebook.common.models import in_link_order
from casebook.common.paging import PAGE_SIZE, Page, page_of
from casebook.common.prepared import IDS, TEXTS, PreparedRead, Word, is_row_id
from casebook.common.search import (
    GRAM_LENGTH,
    among_ids,
    stored_grams_hold,
    stored_values_overlap,
    text_contained,
    text_matches,
    uses_gram_index,
)
from casebook.intake import policy
from casebook.intake.models import (
    GRACE_PERIOD_ALERT_DAYS,
    OPEN_STATUSES,
    PRIORITY_RANK,
    Case,
    CaseSearchGrams,
    CaseStatus,
    Client,
    ClientOutcome,
    ConsultationSession,
    GracePeriod,
    IpDetails,
    IpRight,
    SubcontractDetails,
    Topic,
    grace_period,
)
from casebook.intake.selectors import clients as client_selectors
from casebook.intake.selectors.clients import client_ids_matching

HOLD_LOOKAHEAD = dt.timedelta(days=7)
# The order of every list of cases a search shows (`case_opened_at_id`, read backwards).
_NEWEST_FIRST = ("-opened_at", "-id")


def case_list_for_user(*, user: User) -> QuerySet[Case]:
    """The cases `user` may see, with what a list row shows."""
    return policy.cases_visible_to(user).select_related(
        "desk", "client", "lead_counselor", "intake_office"
    )


def case_rows_for_user(*, user: User) -> QuerySet[Case]:
    """The cases `user` may see, as the case list API renders them.

    One join (the desk, whose code the rows and their details need); the client's name is a
    column of its own (`listed_client_name`, read by the serializer); the list fetches the desk
    details and the sets of its page by id (`intake.api.views`). PostgreSQL spent ~9 ms
    planning the seven joins of `case_list_for_user` for a 1–2 ms execution
    (docs/performance.md, "The lists' planning").
    """
    return policy.per_viewer(user, ("case_rows",), lambda: _case_rows(user)).all()


def _case_rows(user: User) -> QuerySet[Case]:
    # Built once per login's facts (`policy.per_viewer`): the rule and this query set read
    # nothing else (docs/performance.md, "Rules built once per login").
    client_name = Client.objects.filter(pk=OuterRef("client_id")).values("name")[:1]
    return (
        policy.cases_visible_to(user)
        .select_related("desk")
        .annotate(listed_client_name=Subquery(client_name))
    )


def case_topic_codes(*, case_ids: list[int]) -> QuerySet:
    """`(case id, topic code)` of the cases, in the topics' order: the query a prefetch of
    the topics ran, so a list's members come in the order they came before."""
    return Topic.objects.filter(in_ids("cases__id", case_ids)).values_list("cases", "code")


def case_co_counselor_ids(*, case_ids: list[int]) -> QuerySet:
    """`(case id, user id)` of the cases' co-counselors, in the order they were added (the
    link's id), as every page lists them (`casebook.common.models.link_order`)."""
    return (
        Case.co_counselors.through.objects.filter(in_ids("case__id", case_ids))
        .order_by("id")
        .values_list("case_id", "user_id")
    )


def subcontract_details_of(*, case_ids: list[int]) -> QuerySet[SubcontractDetails]:
    """The dispute desk's details of those of the cases that have them."""
    return SubcontractDetails.objects.filter(in_ids("case__id", case_ids))


def ip_details_of(*, case_ids: list[int]) -> QuerySet[IpDetails]:
    """The IP desk's details of those of the cases that have them."""
    return IpDetails.objects.filter(in_ids("case__id", case_ids))


def case_get_for_user(*, user: User, pk: Any) -> Case:
    """The case if `user` may see it, else 404 (the one case getter of every screen; a
    service that must lock the case it reads by id: `intake.services.lock_case(...,
    visible_to=user)`)."""
    try:
        return case_list_for_user(user=user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("no such case") from None


# The sets the case page shows with the case.
_CASE_PAGE_SETS = ("topics", in_link_order("co_counselors", Case.co_counselors))


def case_page_get_for_user(*, user: User, pk: Any) -> Case:
    """The case as its page shows it: with its topics, co-counselors and desk details.

    The case's row and its related rows are one statement, the same for every request of a
    login's facts but for the id: compiled once per facts (`policy.per_viewer`, a
    `PreparedRead`) and only executed after; building and compiling it (the rule's five
    branches, six related rows) was most of the getter's Python (docs/performance.md, "The
    case page"). An id no case can have, or a login who sees nothing, is read through the ORM
    as before."""
    read = _case_page_read(user) if is_row_id(pk) else None
    if read is None:
        try:
            return (
                case_list_for_user(user=user)
                .select_related("ip", "subcontract")
                .prefetch_related(*_CASE_PAGE_SETS)
                .get(pk=pk)
            )
        except (Case.DoesNotExist, ValueError, TypeError):
            raise Http404("no such case") from None
    found = read(pk)
    if not found:
        raise Http404("no such case")
    (case,) = found
    prefetch_related_objects([case], *_CASE_PAGE_SETS)
    return case


def _case_page_rows(cases: QuerySet[Case], pk: Any) -> QuerySet[Case]:
    """The page's case among `cases`, with its related rows, as `get(pk=pk)` reads it: no
    ordering, at most `MAX_GET_RESULTS` rows."""
    return (
        cases.select_related(
            "desk", "client", "lead_counselor", "intake_office", "ip", "subcontract"
        )
        .filter(pk=pk)
        .order_by()
    )


def _case_page_read(user: User) -> PreparedRead | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return policy.per_viewer(user, ("case_page",), lambda: _visible_case_page(user))


def _visible_case_page(user: User) -> PreparedRead:
    # The rule itself, not the login, is kept by the read: it is all the statement reads of
    # the login.
    visible = policy.visible_cases_q(user)
    return PreparedRead(
        Case,
        lambda pk: _case_page_rows(Case.objects.filter(visible), pk)[:MAX_GET_RESULTS],
        args=(int,),
    )


def case_get_by_number_for_user(*, user: User, number: str) -> Case:
    try:
        return case_list_for_user(user=user).get(number=number)
    except Case.DoesNotExist:
        raise Http404("no such case") from None


def cases_of_client_for_user(*, user: User, client: Client) -> QuerySet[Case]:
    """The client's cases the user may see, newest first."""
    return case_list_for_user(user=user).filter(client=client).order_by("-opened_at", "-id")


# What a row of the client page's cases shows, and what the access log reads.
CLIENT_CASE_COLUMNS = (
    "id",
    "number",
    "title",
    "desk__name",
    "status",
    "priority",
    "confidentiality",
    "opened_at",
    "closed_at",
)


class ClientCaseRow(TypedDict):
    """A row of `client_case_rows_for_user`: the values of `CLIENT_CASE_COLUMNS`."""

    id: int
    number: str
    title: str
    desk__name: str
    status: str
    priority: str
    confidentiality: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None


def client_case_rows_for_user(*, user: User, client: Client) -> QuerySet[Case, ClientCaseRow]:
    """`cases_of_client_for_user` as the client page lists them: rows of
    `CLIENT_CASE_COLUMNS` (dicts), with their desk's name, the one related column a row shows
    (its client is the page's; no lead, office or topics)."""
    return _client_case_rows(user, client.pk)


def _client_case_rows(user: User, client_id: int) -> QuerySet[Case, ClientCaseRow]:
    return (
        policy.cases_visible_to(user)
        .filter(client_id=client_id)
        .order_by("-opened_at", "-id")
        .values(*CLIENT_CASE_COLUMNS)
    )


# The client page's pages whose statement is compiled once per login's facts (the page's
# number is written into it); a later one is built and compiled per request.
PREPARED_CLIENT_PAGES = 5


def client_case_rows_page(
    *, user: User, client: Client, number: int = 1, size: int = PAGE_SIZE
) -> Page:
    """Page `number` of `client_case_rows_for_user`, as `page_of` reads it. The statement is
    the login's rule with the client's id as a parameter: for the first pages it is compiled
    once per login's facts and page (`policy.per_viewer`, a `PreparedRead`) and only executed
    after (docs/performance.md, "My cases and the client page")."""
    number = max(number, 1)
    if number > PREPARED_CLIENT_PAGES or not isinstance(client.pk, int):
        return page_of(
            client_case_rows_for_user(user=user, client=client), number=number, size=size
        )
    start = (number - 1) * size
    read = policy.per_viewer(
        user,
        ("client_case_rows", str(number), str(size)),
        lambda: PreparedRead(
            Case,
            lambda client_id: _client_case_rows(user, client_id)[start : start + size + 1],
        ),
    )
    rows = read(client.pk)
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)


@dataclass(frozen=True)
class NewestCases:
    """The newest cases of the whole table (every desk), down to a given one: those opened at
    `opened_from` or later, all of them in `months` (UTC, `YYYY-MM`, the search rows'
    `opened_month`)."""

    opened_from: dt.datetime
    months: list[str]


def _window_bounds(size: int) -> QuerySet[Case, dict[str, Any]]:
    """One row: the opening of the `size`-th newest case (`oldest`: the window opens there,
    and it is the earliest opening of the cases at or after it) and of the newest, each read
    from `case_opened_at_id` by a probe; no row when the table is empty."""
    newest_first = Case.objects.order_by(*_NEWEST_FIRST).values("opened_at")
    return (
        Case.objects.annotate(
            oldest=Subquery(newest_first[size - 1 : size]), newest=Subquery(newest_first[:1])
        )
        .order_by()
        .values("oldest", "newest")[:1]
    )


# The window's bounds of each size, compiled once: every search with a word reads them first
# (`case_search_window`); built through the ORM they were about 1,800 Python calls, executed
# about 140 (docs/performance.md, "The search window's bounds compiled once").
_WINDOW_BOUNDS: dict[int, PreparedRead] = {}


def newest_cases(*, size: int) -> NewestCases | None:
    """The window of the newest `size` cases (and those that share the last one's date), read
    from `case_opened_at_id` alone; None when the table holds fewer cases."""
    read = _WINDOW_BOUNDS.get(size)
    if read is None:
        read = _WINDOW_BOUNDS.setdefault(
            size, PreparedRead(Case, functools.partial(_window_bounds, size), args=())
        )
    bounds = next(iter(read()), None)
    if bounds is None or bounds["oldest"] is None:
        return None
    oldest = bounds["oldest"].astimezone(dt.UTC)
    # To this month at least: a case opened after the bounds were read is in the window too.
    newest = max(bounds["newest"], timezone.now()).astimezone(dt.UTC)
    months = []
    year, month = oldest.year, oldest.month
    while (year, month) <= (newest.year, newest.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return NewestCases(opened_from=bounds["oldest"], months=months)


def _matching_case_ids(
    text: str, *, reader: User | None, within: NewestCases | None = None
) -> QuerySet[Case]:
    """The ids of every case whose title, client (name, reading, phone, 法人番号) or a
    session's summary holds `text`, or whose number does: one set per place, each read
    through its own index, and their union. With a `reader`, the titles and summaries part
    holds only the cases the reader may see (the rest may hold more: the caller filters).
    `within` keeps, of each part, the newest cases (`newest_cases`), read through the part's
    index (`case_client_opened_at`; the search rows' months in `case_search_grams`)."""
    matching_clients = Case.objects.filter(among_ids("client_id", client_ids_matching(text)))
    if within is not None:
        matching_clients = matching_clients.filter(opened_at__gte=within.opened_from)
    # Unordered parts: a set needs no sort (the models' default orders would sort each part).
    found = [
        *_title_or_summary_ids(text, reader=reader, within=within),
        matching_clients.values("pk").order_by(),
    ]
    plain = normalize_text(text)
    if any(ch.isdigit() for ch in plain):
        # A case number always has digits; a word never pays for this scan.
        numbered = Case.objects.filter(number__icontains=plain)
        if within is not None:
            numbered = numbered.filter(opened_at__gte=within.opened_from)
        found.append(numbered.values("pk").order_by())
    return found[0].union(*found[1:])


def _title_or_summary_ids(
    text: str, *, reader: User | None, within: NewestCases | None
) -> list[QuerySet]:
    """The ids of the cases whose title or a session's summary holds `text`. On PostgreSQL
    one row per case holds the grams of both and the case's visibility columns
    (`CaseSearchGrams`, kept by triggers): a common word is then one row per matching case,
    not one per matching session, and a `reader`'s visibility rule keeps the ones the reader
    may see without reading any case (docs/performance.md, "Search"). Elsewhere, the titles
    and the summaries."""
    if not uses_gram_index():
        titles = Case.objects.filter(text_matches("title", text))
        summaries = ConsultationSession.objects.filter(text_matches("summary", text))
        if within is not None:
            titles = titles.filter(opened_at__gte=within.opened_from)
            summaries = summaries.filter(case__opened_at__gte=within.opened_from)
        return [
            titles.values("pk").order_by(),
            summaries.values("case_id").order_by(),
        ]
    rows = CaseSearchGrams.objects.filter(stored_grams_hold("grams", text))
    if within is not None:
        # The rows of the window's months, in the same GIN index as the grams: one index
        # scan keeps the word's recent rows, and the older matches are never read (a few
        # cases of the first month older than the window are: the caller filters by date).
        rows = rows.filter(stored_values_overlap("opened_month", within.months))
    if reader is None:
        parts = [rows.values("case_id").order_by()]
    else:
        # The reader's rule on the case's copied columns (the primary key is the case's id),
        # one part a branch, each served by the rows' index or by the ids it names: a desk
        # reader's matches are read from its own desks' rows, not from every row holding the
        # word (docs/performance.md, "A word other desks hold").
        branches = policy.visible_search_row_branches(reader) or [Q(pk__in=[])]
        parts = [rows.filter(branch).values("case_id").order_by() for branch in branches]
    if len(search_key(text)) <= GRAM_LENGTH:
        # A word of one or two characters is one gram: every candidate holds it.
        return parts
    candidates = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    # A longer word is all of its pairs, which a case may hold in different places (one in the
    # title, one in a summary): the word itself is checked on the candidates.
    summaries = ConsultationSession.objects.filter(
        text_contained("summary", text), case=OuterRef("pk")
    )
    return [
        Case.objects.filter(among_ids("pk", candidates))
        .filter(text_contained("title", text) | Q(Exists(summaries)))
        .values("pk")
        .order_by()
    ]


def _case_holds(text: str) -> Q:
    """The rule of `_matching_case_ids`, checked on each case row (a session's summary through
    the case's own sessions; on PostgreSQL, a word of one or two characters through the case's
    search row, whose grams are its title's and summaries')."""
    if uses_gram_index() and len(search_key(text)) <= GRAM_LENGTH:
        # One probe of the row by its key, on each walked case. The key is matched as a range of
        # one value: an equality would let the planner hash the subquery instead, reading the
        # row of every case that holds the word (28,000 rows for 「中」 on the decade), as it
        # did with the summaries on a database of 15,000 cases (the key of every summary
        # computed once: 3.5 s; docs/performance.md, "Search").
        grams = CaseSearchGrams.objects.filter(
            stored_grams_hold("grams", text),
            case_id__gte=OuterRef("pk"),
            case_id__lte=OuterRef("pk"),
        )
        held = Q(Exists(grams))
    else:
        summaries = ConsultationSession.objects.filter(
            text_contained("summary", text), case=OuterRef("pk")
        )
        held = text_contained("title", text) | Q(Exists(summaries))
    condition = held | Q(client_id__in=client_ids_matching(text))
    plain = normalize_text(text)
    if any(ch.isdigit() for ch in plain):
        condition |= Q(number__icontains=plain)
    return condition


def cases_matching[Row](
    cases: QuerySet[Case, Row],
    text: str,
    *,
    reader: User | None = None,
    within: NewestCases | None = None,
) -> QuerySet[Case, Row]:
    """Of `cases`, those whose title, client (name, reading, phone, 法人番号) or a session's
    summary holds `text`, or whose number does; kana folded, served by the gram indexes
    (docs/performance.md, "Search"). The web search and the API's `q` both ask here; when
    `cases` are what `reader` may see, naming the reader lets the titles and summaries be
    narrowed to them in the index's rows (another desk's matches are never read as cases).
    `within`: only the newest cases (`newest_cases`)."""
    if not search_key(text):
        return cases.none()
    if within is not None:
        cases = cases.filter(opened_at__gte=within.opened_from)
    # The set of matching ids is built once and its cases fetched by id, then filtered by the
    # reader's visibility: an OR of the places would scan every visible case, and a join to
    # the set was planned as a scan of every case.
    return cases.filter(among_ids("pk", _matching_case_ids(text, reader=reader, within=within)))


# What a row of the web search's cases shows (its number, title, client's name, state and
# opening date), and what the access log reads (the confidentiality).
SEARCH_CASE_COLUMNS = (
    "id",
    "number",
    "title",
    "status",
    "confidentiality",
    "opened_at",
    "client_id",
    "client__name",
)


class SearchCaseRow(TypedDict):
    """A row of `case_search`: the values of `SEARCH_CASE_COLUMNS`."""

    id: int
    number: str
    title: str
    status: str
    confidentiality: str
    opened_at: dt.datetime
    client_id: int
    client__name: str


def _search_rows(*, user: User) -> QuerySet[Case, SearchCaseRow]:
    """The cases `user` may see as rows of `SEARCH_CASE_COLUMNS` (dicts): the client's name
    joined, not the desk, the lead or the intake office (docs/performance.md, "Search")."""
    return policy.cases_visible_to(user).values(*SEARCH_CASE_COLUMNS)


def case_search(
    *, user: User, text: str, within: NewestCases | None = None
) -> QuerySet[Case, SearchCaseRow]:
    """The cases the user may see that match `text` (`cases_matching`), newest first, as rows
    of `SEARCH_CASE_COLUMNS`; with `within`, among the newest cases only."""
    return cases_matching(_search_rows(user=user), text, reader=user, within=within).order_by(
        *_NEWEST_FIRST
    )


# A single character is one gram shared by many words (「中」 is in a tenth of the summaries):
# its set of matching cases is large and costly to collect, while the newest visible cases
# hold a page of matches within a few hundred rows. Those rows are checked one by one, up to
# the `WALK_WINDOW`-th newest visible case.
WALKED_KEY_LENGTH = 1
WALK_WINDOW = 1000
# A longer word's matches are first looked for among the `SEARCH_WINDOW` newest cases of the
# whole table (every desk): the set of those matches costs what the window holds, not what
# the years hold; when it fills the page it is the page.
SEARCH_WINDOW = 10_000


def case_search_window() -> NewestCases | None:
    """The `SEARCH_WINDOW` newest cases (`newest_cases`), where a search's matches are read
    first; None when the table holds fewer."""
    return newest_cases(size=SEARCH_WINDOW)


def case_search_page(*, user: User, text: str, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Page `number` of `case_search`. The cases opened at or after a given date start the
    list's order, so the matches among them are the list's first matches: when they fill the
    page (and tell that a next page exists) they are the page. For a one-character word the
    newest visible cases are walked, down to the opening date of the `WALK_WINDOW`-th; for a
    longer one the set of matches among the `SEARCH_WINDOW` newest cases is read. Otherwise
    (a rare word, a later page) the set of every matching case is read (docs/performance.md,
    "Search")."""
    number = max(number, 1)
    start = (number - 1) * size
    key = search_key(text)
    if len(key) == WALKED_KEY_LENGTH and start + size < WALK_WINDOW:
        rows = _search_page_rows(
            user, text, ("walk", str(WALK_WINDOW)), number, size, _walked_page_rows
        )
        if len(rows) > size:
            return Page(rows=rows[:size], number=number, has_next=True)
    elif len(key) > WALKED_KEY_LENGTH and start + size < SEARCH_WINDOW:
        # Fewer cases than the window: the set of every match is no larger.
        within = case_search_window()
        if within is not None:
            rows = _search_page_rows(
                user,
                text,
                ("window",),
                number,
                size,
                _window_page_rows,
                (within.opened_from, within.months),
                (dt.datetime, TEXTS),
            )
            if len(rows) > size:
                return Page(rows=rows[:size], number=number, has_next=True)
    rows = _search_page_rows(user, text, ("every",), number, size, _every_match_rows)
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)


def one_gram_key(text: str) -> str | None:
    """The search key of `text` where a statement compiled once may read its matches: one gram
    (one or two characters: 「特許」「中島」「中」), no digit (a digit may be a case number's,
    which adds a branch), on PostgreSQL; else None (the matches are built through the ORM)."""
    key = search_key(text)
    if not uses_gram_index() or not 0 < len(key) <= GRAM_LENGTH:
        return None
    if any(ch.isdigit() for ch in key):
        return None
    return key


def one_gram_rows(
    *,
    user: User,
    key: str,
    shape: tuple[str, ...],
    build: Callable[..., QuerySet],
    args: tuple[Any, ...] = (),
    kinds: tuple[Any, ...] = (),
) -> list[Any]:
    """The rows of `build(key, *args)` for a key of `one_gram_key`, by a statement compiled
    once per login's facts, the key's length and `shape`: everything else `build` depends on
    (a page, its columns and order), as `policy.per_viewer` asks. The key is its own key, so
    the statement built for it is the word's (docs/performance.md, "A one-gram word's search
    compiled once")."""
    read = policy.per_viewer(
        user,
        ("one_gram_rows", *shape, str(len(key))),
        lambda: PreparedRead(Case, build, args=(Word(len(key)), *kinds)),
    )
    return read(key, *args)


def _search_page_rows(
    user: User,
    text: str,
    shape: tuple[str, ...],
    number: int,
    size: int,
    build: Callable[..., QuerySet[Case, SearchCaseRow]],
    args: tuple[Any, ...] = (),
    kinds: tuple[Any, ...] = (),
) -> list[SearchCaseRow]:
    """The rows of `build(user, text, start, size, *args)`, one more than the page: for a
    word of `one_gram_key` on one of the first pages, by a statement compiled once
    (`one_gram_rows`); building it through the ORM was about half of a search's Python."""
    start = (number - 1) * size
    key = one_gram_key(text)
    if key is None or number > client_selectors.PREPARED_SEARCH_PAGES:
        return list(build(user, text, start, size, *args))
    return one_gram_rows(
        user=user,
        key=key,
        shape=("case_search_page", *shape, str(number), str(size)),
        build=lambda word, *rest: build(user, word, start, size, *rest),
        args=args,
        kinds=kinds,
    )


def _walked_page_rows(
    user: User, text: str, start: int, size: int
) -> QuerySet[Case, SearchCaseRow]:
    """The newest visible cases down to the `WALK_WINDOW`-th, each checked for `text`."""
    visible = _search_rows(user=user)
    edge = visible.order_by(*_NEWEST_FIRST).values("opened_at")[WALK_WINDOW - 1 : WALK_WINDOW]
    # Fewer visible cases than the window: the walk reads them all.
    floor = Coalesce(Subquery(edge), Value(dt.datetime.min.replace(tzinfo=dt.UTC)))
    walked = visible.filter(_case_holds(text), opened_at__gte=floor)
    return walked.order_by(*_NEWEST_FIRST)[start : start + size + 1]


def _window_page_rows(
    user: User, text: str, start: int, size: int, opened_from: dt.datetime, months: list[str]
) -> QuerySet[Case, SearchCaseRow]:
    """The matches among the newest cases (`NewestCases` of `opened_from` and `months`)."""
    within = NewestCases(opened_from=opened_from, months=months)
    return case_search(user=user, text=text, within=within)[start : start + size + 1]


def _every_match_rows(
    user: User, text: str, start: int, size: int
) -> QuerySet[Case, SearchCaseRow]:
    return case_search(user=user, text=text)[start : start + size + 1]


# --- my open work -------------------------------------------------------------------------


# What a row of my cases shows (its number, title, client, state, badges, lead, dates and
# hold), and what the access log reads (the confidentiality).
MY_CASE_COLUMNS = (
    "id",
    "number",
    "title",
    "status",
    "priority",
    "confidentiality",
    "opened_at",
    "resume_by",
    "hold_reason",
    "client_id",
    "client__name",
    "lead_counselor_id",
    "lead_counselor__username",
    "lead_counselor__display_name",
    "next_follow_up",
)


class MyCaseRow(TypedDict):
    """A row of my cases' lists: the values of `MY_CASE_COLUMNS` and the rank of urgency."""

    id: int
    number: str
    title: str
    status: str
    priority: str
    confidentiality: str
    opened_at: dt.datetime
    resume_by: dt.date | None
    hold_reason: str
    client_id: int | None
    client__name: str | None
    lead_counselor_id: int | None
    lead_counselor__username: str | None
    lead_counselor__display_name: str | None
    next_follow_up: dt.date | None
    priority_rank: int


@dataclass(frozen=True)
class MyCases:
    """The open cases a user leads or co-counsels, among those the user may see (`visible`:
    every open case the user may see, as rows), and the two parts that make them: a list of
    my cases reads each part through an index of its own up to the page's end, and merges
    them (`my_open_cases_page`)."""

    visible: QuerySet[Case, MyCaseRow]
    user: User
    co_counseled: list[int]

    @property
    def user_id(self) -> int:
        return self.user.pk

    @property
    def parts(self) -> list[QuerySet[Case, MyCaseRow]]:
        return _my_parts(self.visible, self.user_id, self.co_counseled)


def _my_parts(
    visible: QuerySet[Case, MyCaseRow], user_id: int, co_counseled: list[int] | None
) -> list[QuerySet[Case, MyCaseRow]]:
    led = visible.filter(lead_counselor_id=user_id)
    if not co_counseled:
        return [led]
    # The ids as one array (`in_ids`): the part's statement is the same for any number of them.
    return [led, visible.filter(in_ids("pk", co_counseled))]


# The open cases a login co-counsels: a statement of fixed shape, by the login's id.
_co_counseled_ids = PreparedRead(
    Case.co_counselors.through,
    lambda user_id: Case.co_counselors.through.objects.filter(
        user_id=user_id, case__status__in=OPEN_STATUSES
    ).values_list("case_id"),
)


def my_open_cases(*, user: User) -> MyCases:
    """Open cases `user` leads or co-counsels, among those the user may see, as rows of
    `MY_CASE_COLUMNS` (dicts: the page shows values, and builds no case, client or counselor
    instances for them), with their rank of urgency (`priority_rank`, the list's order)."""
    # The open cases the user co-counsels, read first (a handful): that part is then read by
    # primary key, the other from the lead's indexes (docs/performance.md, "The stress shape").
    co_counseled = [case_id for (case_id,) in _co_counseled_ids(user.pk)]
    # The page's rows show the client's name and the lead counselor's, nothing of the desk,
    # the intake office or the topics: only those two are joined, and only the columns the
    # rows show are read (docs/performance.md, "My cases and the client page"). A function of
    # the login's facts, as the rule it narrows: built once per login (`policy.per_viewer`).
    visible = policy.per_viewer(
        user,
        ("my_open_cases",),
        lambda: (
            policy.cases_visible_to(user)
            .filter(status__in=OPEN_STATUSES)
            .annotate(priority_rank=PRIORITY_RANK)
            .values(*MY_CASE_COLUMNS, "priority_rank")
        ),
    )
    return MyCases(visible=visible, user=user, co_counseled=co_counseled)


# The orders of my cases' lists: each ends with the id, so a row's place is one and the same
# in a part and in the merged list.
MY_CASES_ORDER = ("priority_rank", "opened_at", "id")
FOLLOW_UPS_ORDER = ("next_follow_up", "id")
HOLDS_ORDER = ("resume_by", "id")

# The pages of my cases' lists whose statements are compiled once per login's facts (the
# page's number and size are written into the statement): a later page is built and compiled
# per request, so that no walk through the pages fills `policy.per_viewer`'s table.
PREPARED_PAGES = 5


def _page_query(
    parts: list[QuerySet], *, order: tuple[str, ...], number: int, size: int
) -> QuerySet:
    """Page `number` of the union of `parts` in `order`, in one query: each part ordered and
    cut at the page's end, then merged and cut again. A part's row past its cut has more rows
    before it than the page's end, in the part and so in the union: it is on no page up to
    this one. PostgreSQL reads each part from an index in that order and stops at the cut
    (docs/performance.md, "The stress shape"); a database that cannot cut a part of a union
    (SQLite) reads the parts whole, for the same page. One row more than the page is read:
    whether a next page follows."""
    start = (number - 1) * size
    end = start + size + 1
    if len(parts) == 1:
        return parts[0].order_by(*order)[start:end]
    if connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        cut = [part.order_by(*order)[:end] for part in parts]
    else:
        cut = [part.order_by() for part in parts]
    # UNION, not UNION ALL: a case the user both leads and co-counsels is one row.
    return cut[0].union(*cut[1:]).order_by(*order)[start:end]


def _my_cases_page(
    cases: MyCases,
    *,
    name: str,
    narrow: Callable[[QuerySet, dt.date | None], QuerySet],
    day: dt.date | None,
    order: tuple[str, ...],
    number: int,
    size: int,
) -> Page:
    """Page `number` of one of my cases' lists: `narrow(part, day)` of each part of `cases`.

    The statement's shape is the login's rule (its facts), whether it co-counsels any open
    case, the page's number and size: for the first pages it is compiled once per those
    (`policy.per_viewer`, a `PreparedRead` by the login's id, the list's day if it has one
    and the co-counseled ids as one array) and only executed after (docs/performance.md, "My
    cases and the client page"). The rows are the ORM's, as the ORM would read them."""
    number = max(number, 1)
    visible, co_counseled = cases.visible, cases.co_counseled
    args: list[Any] = [cases.user_id]
    kinds: list[Any] = [int]
    if day is not None:
        args.append(day)
        kinds.append(dt.date)
    if co_counseled:
        args.append(co_counseled)
        kinds.append(IDS)

    def build(user_id: int, *rest: Any) -> QuerySet:
        given = list(rest)
        on = given.pop(0) if day is not None else None
        ids = given.pop(0) if co_counseled else None
        parts = [narrow(part, on) for part in _my_parts(visible, user_id, ids)]
        return _page_query(parts, order=order, number=number, size=size)

    if number > PREPARED_PAGES:
        rows = list(build(*args))
    else:
        read = policy.per_viewer(
            cases.user,
            ("my_cases_page", name, str(number), str(size), str(bool(co_counseled))),
            lambda: PreparedRead(Case, build, args=kinds),
        )
        rows = read(*args)
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)


def my_open_cases_page(*, cases: MyCases, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Page `number` of `cases` (from `my_open_cases`), the most urgent first, then the
    oldest: the led part read from `case_open_by_lead_rank` in that order."""
    return _my_cases_page(
        cases,
        name="open",
        narrow=lambda part, day: part,
        day=None,
        order=MY_CASES_ORDER,
        number=number,
        size=size,
    )


def cases_apart_from_their_follow_up() -> QuerySet[Case]:
    """Cases whose `next_follow_up` is not their latest session's follow-up date (none, when
    every writer keeps it: `services.cases_follow_up_refresh`). For the tests and an
    operator's check; no reader sees cases through it."""
    latest = ConsultationSession.objects.filter(case=OuterRef("pk")).order_by("-started_at", "-id")
    kept = Case.objects.annotate(latest_follow_up=Subquery(latest.values("follow_up_on")[:1]))
    return kept.filter(
        Q(next_follow_up__isnull=True, latest_follow_up__isnull=False)
        | Q(next_follow_up__isnull=False, latest_follow_up__isnull=True)
        | (~Q(next_follow_up=F("latest_follow_up")) & Q(next_follow_up__isnull=False))
    )


def overdue_follow_ups(*, cases: MyCases, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Page `number` of `cases` (from `my_open_cases`) whose follow-up date has come, soonest
    first.

    The date is the case's own column (the latest session's, kept by the services): the led
    part is read from `case_open_follow_up` in the list's order and stopped at the page's
    end, not every due entry and its sessions (docs/performance.md, "The stress shape")."""
    return _my_cases_page(
        cases,
        name="follow_ups",
        narrow=lambda part, day: part.filter(next_follow_up__lte=day),
        day=timezone.localdate(),
        order=FOLLOW_UPS_ORDER,
        number=number,
        size=size,
    )


def holds_due(*, cases: MyCases, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Page `number` of `cases` that are held with a resume-by date past or within a week,
    soonest first: the led part read from `case_hold_by_lead` in that order, not every held
    case of the organisation that is due."""
    return _my_cases_page(
        cases,
        name="holds",
        narrow=lambda part, day: part.filter(status=CaseStatus.ON_HOLD, resume_by__lte=day),
        day=timezone.localdate() + HOLD_LOOKAHEAD,
        order=HOLDS_ORDER,
        number=number,
        size=size,
    )


@dataclass(frozen=True)
class GracePeriodAlert:
    case: Case
    grace: GracePeriod


def ip_grace_period_alerts(*, user: User, today: dt.date | None = None) -> list[GracePeriodAlert]:
    """Open IP cases whose novelty grace period ends within the alert window, soonest first."""
    today = today or timezone.localdate()
    # Disclosed within the last year and not before the alert window opens.
    earliest = today - dt.timedelta(days=367)
    latest = today - dt.timedelta(days=364 - max(GRACE_PERIOD_ALERT_DAYS))
    # An alert shows its case's number and title: its IP details are the one join. The
    # statement is the login's rule with the window's two days as parameters: compiled once
    # per login's facts (`policy.per_viewer`; docs/performance.md, "My cases and the client
    # page").
    read = policy.per_viewer(
        user,
        ("ip_grace_period_candidates",),
        lambda: PreparedRead(
            Case,
            lambda earliest, latest: (
                policy.cases_visible_to(user)
                .filter(ip__invention_disclosed_on__range=(earliest, latest))
                .exclude(status=CaseStatus.CLOSED)
                .select_related("ip")
            ),
            args=(dt.date, dt.date),
        ),
    )
    candidates = read(earliest, latest)
    alerts = [
        GracePeriodAlert(case=case, grace=grace_period(case.ip.invention_disclosed_on, today=today))
        for case in candidates
    ]
    return sorted(
        (alert for alert in alerts if alert.grace.alerting), key=lambda a: a.grace.deadline
    )


# --- a client's page ----------------------------------------------------------------------


def client_outcomes_for_user(*, user: User, client: Client) -> QuerySet[ClientOutcome]:
    """The client's reported figures, leaving out any tied to a case the user may not see."""
    return _client_outcomes(user, client.pk)


def client_outcome_list_for_user(*, user: User, client: Client) -> list[ClientOutcome]:
    """`client_outcomes_for_user`, read: the statement is the login's rule with the client's
    id as a parameter, compiled once per login's facts (`policy.per_viewer`, a
    `PreparedRead`; docs/performance.md, "My cases and the client page")."""
    if not isinstance(client.pk, int):
        return list(client_outcomes_for_user(user=user, client=client))
    read = policy.per_viewer(
        user,
        ("client_outcomes",),
        lambda: PreparedRead(ClientOutcome, lambda client_id: _client_outcomes(user, client_id)),
    )
    return read(client.pk)


def _client_outcomes(user: User, client_id: int) -> QuerySet[ClientOutcome]:
    outcomes = ClientOutcome.objects.filter(client_id=client_id)
    # The rule read on each outcome's own case row: no set of every visible case is built.
    visible = policy.visible_cases_q(user, prefix="case__")
    if visible:  # a manager's is empty: every outcome
        outcomes = outcomes.filter(Q(case__isnull=True) | visible)
    return outcomes.select_related("case").order_by("reported_on", "pk")


# --- desk specifics -------------------------------------------------------------------------

DETAIL_DESKS = ("subcontract", "ip")


@dataclass(frozen=True)
class DeskDetails:
    """The dispute or IP desk's own details of a case, as its page shows them."""

    desk: str
    details: Any
    rights: tuple[str, ...] = ()
    grace: GracePeriod | None = None


def case_desk_details(*, case: Case) -> DeskDetails | None:
    """The details of a case at the dispute or the IP desk (None at the other desks)."""
    code = case.desk.code
    if code not in DETAIL_DESKS:
        return None
    details = getattr(case, "subcontract" if code == "subcontract" else "ip", None)
    if code != "ip" or details is None:
        return DeskDetails(desk=code, details=details)
    labels = dict(IpRight.choices)
    return DeskDetails(
        desk=code,
        details=details,
        rights=tuple(str(labels.get(right, right)) for right in details.rights_sought),
        grace=grace_period(details.invention_disclosed_on)
        if details.invention_disclosed_on
        else None,
    )
