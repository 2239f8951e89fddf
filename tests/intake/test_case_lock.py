"""The case lock: a case named by id is read among those its user may see, in the statement
that locks it; the getter only reads."""

from __future__ import annotations

import inspect
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from casebook.intake import policy, selectors, services
from casebook.intake.models import Case
from casebook.intake.services.cases import case_lock_read
from tests.factories import CaseFactory, desk
from tests.markers import needs_postgres


def test_a_case_named_by_id_is_locked_with_its_desk_and_client_in_one_query(cast):
    case = CaseFactory(status="intake")
    policy.desk_roles(cast.counselor)  # the login's memberships: read once, by any request
    with CaptureQueriesContext(connection) as queries:
        locked = services.lock_case(case.pk, visible_to=cast.counselor)
        assert (locked.pk, locked.desk.code, locked.client.pk) == (
            case.pk,
            case.desk.code,
            case.client_id,
        )
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        assert "FOR NO KEY UPDATE OF" in queries[0]["sql"]


@pytest.mark.parametrize("pk", ["unseen", "missing", "not a number"])
def test_a_case_named_by_id_that_its_user_may_not_see_is_a_404(cast, pk):
    case = CaseFactory(status="intake")
    named = {"unseen": case.pk, "missing": case.pk + 1000, "not a number": "forty-two"}[pk]
    with pytest.raises(Http404):
        services.lock_case(named, visible_to=cast.outsider)
    if pk != "unseen":
        with pytest.raises(Http404):
            services.lock_case(named, visible_to=cast.counselor)


def test_a_case_or_its_id_without_a_reader_is_locked_whoever_may_see_it(cast):
    case = CaseFactory(status="intake")
    assert services.lock_case(case).pk == case.pk
    assert services.lock_case(case.pk).pk == case.pk
    with pytest.raises(Case.DoesNotExist):
        services.lock_case(case.pk + 1000)


def test_the_case_getter_reads_without_a_lock(cast):
    case = CaseFactory(status="intake")
    assert "lock" not in inspect.signature(selectors.case_get_for_user).parameters
    with CaptureQueriesContext(connection) as queries:
        assert selectors.case_get_for_user(user=cast.counselor, pk=case.pk) == case
    assert not any("FOR UPDATE" in query["sql"] for query in queries)


def _orm_lock(pk, user):
    """The lock as the ORM builds it (`lock_case` before its statement was compiled once)."""
    cases = Case.objects.all() if user is None else policy.cases_visible_to(user)
    locked = cases.select_for_update(no_key=True, of=("self",)).select_related("desk", "client")
    return locked.get(pk=pk)


def _sent(lock, *args):
    """What `lock(*args)` answers (the instance's fields, its desk's and client's, or the
    exception's class) and the statements it sent."""
    with CaptureQueriesContext(connection) as queries:
        try:
            case = lock(*args)
        except (Http404, Case.DoesNotExist) as refused:
            answer = type(refused)
        else:
            answer = [
                {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}
                for row in (case, case.desk, case.client)
            ]
    return answer, [query["sql"] for query in queries]


def test_the_lock_sends_the_orms_statement_and_reads_its_row_for_every_login(cast):
    from casebook.intake.models import CaseShare
    from tests.factories import desk

    yorozu = CaseFactory(status="active", lead_counselor=cast.counselor)
    restricted = CaseFactory(status="intake", confidentiality="restricted")
    shared = CaseFactory(status="intake", desk=desk("ip"))
    CaseShare.objects.create(case=shared, desk=desk("yorozu"), source="referral")
    co_counselled = CaseFactory(status="intake", desk=desk("ip"))
    co_counselled.co_counselors.add(cast.counselor)
    ids = [yorozu.pk, restricted.pk, shared.pk, co_counselled.pk, yorozu.pk + 10_000]
    for user in [*vars(cast).values(), None]:
        if user is not None:
            policy.desk_roles(user)  # the login's memberships: read once, by any request
        for pk in ids:
            prepared = _sent(lambda pk, user: services.lock_case(pk, visible_to=user), pk, user)
            orm = _sent(_orm_lock, pk, user)
            expected_refusal = Case.DoesNotExist if user is None else Http404
            if orm[0] is Case.DoesNotExist:
                assert prepared[0] is expected_refusal
                # A refusal reads twice: the second read would see a desk move it waited for.
                assert prepared[1] == orm[1] * 2, (user, pk)
            else:
                assert prepared[1] == orm[1], (user, pk)
                assert prepared[0] == orm[0], (user, pk)
    # Each login's statement was compiled once, by its facts: a second read compiles nothing.
    assert case_lock_read(cast.counselor) is case_lock_read(cast.counselor)


def test_a_login_whose_desk_membership_ends_no_longer_locks_its_desks_cases(cast):
    from casebook.accounts.models import DeskMembership, User

    case = CaseFactory(status="intake")
    counselor = User.objects.get(pk=cast.counselor.pk)
    assert services.lock_case(case.pk, visible_to=counselor).pk == case.pk
    DeskMembership.objects.filter(user=cast.counselor).update(active=False)
    with pytest.raises(Http404):
        services.lock_case(case.pk, visible_to=User.objects.get(pk=cast.counselor.pk))


@pytest.mark.parametrize("pk", [2**63, 0, -1])
def test_an_id_no_case_can_have_is_answered_as_the_orm_answers_it(cast, pk):
    CaseFactory(status="intake")
    with pytest.raises(Http404):
        services.lock_case(pk, visible_to=cast.manager)
    with pytest.raises(Case.DoesNotExist):
        services.lock_case(pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(cast):
    from django.db.transaction import TransactionManagementError

    case = CaseFactory(status="intake")
    with pytest.raises(TransactionManagementError):
        services.lock_case(case.pk)
    with pytest.raises(TransactionManagementError):
        services.lock_case(case.pk, visible_to=cast.manager)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("reader", [None, "manager"])
def test_a_case_moved_to_another_desk_while_its_lock_is_awaited_is_locked_on_its_new_desk(
    cast, reader
):
    """The waiting lock's statement began when the case was on its old desk: once the move
    commits, its re-check of the joined desk row fails, and the lock reads again."""
    case = CaseFactory(status="intake")
    moved = threading.Event()
    errors: list[BaseException] = []
    found: list[Case] = []

    def move() -> None:
        try:
            with transaction.atomic():
                services.lock_case(case)
                Case.objects.filter(pk=case.pk).update(desk=desk("ip"))
                moved.set()
                time.sleep(0.3)  # the other lock is waiting for this one by now
        except BaseException as exc:
            errors.append(exc)
        finally:
            moved.set()
            close_old_connections()

    def wait_and_lock() -> None:
        try:
            assert moved.wait(5)
            with transaction.atomic():
                visible_to = getattr(cast, reader) if reader else None
                found.append(services.lock_case(case.pk, visible_to=visible_to))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=move), threading.Thread(target=wait_and_lock)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [locked.desk.code for locked in found] == ["ip"]
