"""A client's contacts (one primary at most) and the merge of two clients, at the services."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from casebook.common.errors import ActionNotPermitted
from casebook.intake import services
from casebook.intake.models import Case, Client, ClientContact, ConsultationSession
from tests.factories import CaseFactory, ClientFactory, SessionFactory, case_in_state, desk
from tests.markers import needs_postgres


def test_the_database_refuses_a_second_primary_contact(cast):
    client = ClientFactory()
    ClientContact.objects.create(client=client, name="甲", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientContact.objects.create(client=client, name="乙", is_primary=True)


def test_a_new_primary_contact_makes_the_previous_one_ordinary(cast):
    client = ClientFactory()
    first = services.contact_create(client=client, by=cast.counselor, name="甲", is_primary=True)
    services.contact_create(client=client, by=cast.counselor, name="乙", is_primary=True)
    first.refresh_from_db()
    assert not first.is_primary
    assert ClientContact.objects.filter(client=client, is_primary=True).count() == 1


def test_contact_input_is_nfkc_normalised(cast):
    contact = services.contact_create(
        client=ClientFactory(), by=cast.counselor, name="　総務　花子 ", phone="０２９－１"
    )
    assert (contact.name, contact.phone) == ("総務 花子", "029-1")


def test_an_auditor_may_not_add_contacts(cast):
    with pytest.raises(ActionNotPermitted):
        services.contact_create(client=ClientFactory(), by=cast.auditor, name="甲")


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_parallel_edits_making_two_contacts_primary_leave_one_primary(cast):
    client = ClientFactory()
    contacts = [
        services.contact_create(client=client, by=cast.counselor, name=name)
        for name in ("甲", "乙")
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def make_primary(contact: ClientContact, user) -> None:
        try:
            barrier.wait(timeout=10)
            services.contact_update(
                contact=contact, by=user, expected_version=contact.version, is_primary=True
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=make_primary, args=(contacts[0], cast.counselor)),
        threading.Thread(target=make_primary, args=(contacts[1], cast.coordinator)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert ClientContact.objects.filter(client=client, is_primary=True).count() == 1


# --- merge ------------------------------------------------------------------------------------


def test_a_merge_moves_every_case_session_contact_and_outcome(cast):
    survivor, absorbed = ClientFactory(), ClientFactory(representative="代表 太郎")
    cases = [
        case_in_state("active", lead=cast.counselor, by=cast.coordinator, client=absorbed)
        for _ in range(2)
    ]
    for case in cases:
        SessionFactory(case=case)
    sessions = ConsultationSession.objects.count()
    histories = {case.pk: case.history.count() for case in cases}
    services.contact_create(client=survivor, by=cast.counselor, name="甲", is_primary=True)
    services.contact_create(client=absorbed, by=cast.counselor, name="乙", is_primary=True)
    merged = services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.coordinator)
    assert merged.pk == survivor.pk
    assert Case.objects.filter(client=survivor).count() == 2
    assert ConsultationSession.objects.filter(case__client=survivor).count() == sessions
    for case in cases:
        assert case.history.count() == histories[case.pk] + 1
    assert ClientContact.objects.filter(client=survivor).count() == 2
    assert ClientContact.objects.get(client=survivor, is_primary=True).name == "甲"
    assert merged.representative == "代表 太郎"
    assert not Client.objects.filter(pk=absorbed.pk).exists()
    assert Client.history.filter(id=absorbed.pk, history_user=cast.coordinator).exists()


def test_a_merge_is_refused_to_a_counselor(cast):
    with pytest.raises(ActionNotPermitted):
        services.client_merge(survivor=ClientFactory(), absorbed=ClientFactory(), by=cast.counselor)


def test_a_merge_is_refused_across_a_client_with_a_case_the_user_may_not_see(cast):
    survivor, absorbed = ClientFactory(), ClientFactory()
    hidden = CaseFactory(
        desk=desk("yorozu"),
        client=absorbed,
        confidentiality="restricted",
        on_exit_track=True,
        fiscal_year=2019,
        lead_counselor=cast.exit_team,
    )
    with pytest.raises(ActionNotPermitted):
        services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.coordinator)
    hidden.refresh_from_db()
    assert hidden.client_id == absorbed.pk
    services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.manager)
    hidden.refresh_from_db()
    assert hidden.client_id == survivor.pk


def test_a_merge_that_would_put_a_postal_code_beside_another_town_is_refused_before_anything_moves(
    cast,
):
    survivor = ClientFactory(postal_code="", prefecture="茨城県", municipality="水戸市")
    absorbed = ClientFactory(postal_code="317-0073", prefecture="", municipality="")
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, client=absorbed)
    with pytest.raises(ValidationError) as refused:
        services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.coordinator)
    [error] = refused.value.error_dict["postal_code"]
    assert error.code == "place_mismatch"
    assert "茨城県日立市" in error.messages[0]
    case.refresh_from_db()
    assert case.client_id == absorbed.pk
    assert Client.objects.filter(pk=absorbed.pk).exists()
    survivor.refresh_from_db()
    assert survivor.postal_code == ""


def test_a_merge_does_not_copy_an_unknown_postal_code(cast):
    survivor = ClientFactory(postal_code="", prefecture="", municipality="")
    # Saved before the postal-code check existed.
    absorbed = ClientFactory(postal_code="999-9999", prefecture="", municipality="")
    with pytest.raises(ValidationError) as refused:
        services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.coordinator)
    assert refused.value.error_dict["postal_code"][0].code == "unknown"
    assert Client.objects.filter(pk=absorbed.pk).exists()


def test_a_postal_code_a_merge_copies_fills_the_blank_place_as_an_edit_does(cast):
    survivor = ClientFactory(postal_code="", prefecture="", municipality="")
    absorbed = ClientFactory(postal_code="３１７００７３", prefecture="", municipality="")
    merged = services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.coordinator)
    merged.refresh_from_db()
    assert (merged.postal_code, merged.prefecture, merged.municipality) == (
        "317-0073",
        "茨城県",
        "日立市",
    )
