from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import close_old_connections, transaction

from casebook.intake import services
from casebook.intake.models import Case
from tests.factories import ClientFactory, desk
from tests.markers import needs_postgres

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def open_case(by, desk_code="yorozu", opened_at=None):
    return services.case_open(
        desk=desk(desk_code),
        client=ClientFactory(),
        title="相談",
        intake_channel="phone",
        by=by,
        opened_at=opened_at,
    )


def test_numbers_run_per_desk_and_fiscal_year(cast):
    first = open_case(cast.counselor, opened_at=dt.datetime(2025, 3, 31, 23, 0, tzinfo=TOKYO))
    second = open_case(cast.counselor, opened_at=dt.datetime(2025, 4, 1, 9, 0, tzinfo=TOKYO))
    third = open_case(cast.counselor, opened_at=dt.datetime(2025, 4, 2, 9, 0, tzinfo=TOKYO))
    other_desk = open_case(cast.colleague, desk_code="ip")
    assert first.number == "yorozu-2024-00001"
    assert second.number == "yorozu-2025-00001"
    assert third.number == "yorozu-2025-00002"
    assert other_desk.number.startswith("ip-") and other_desk.number.endswith("-00001")


def test_a_rolled_back_intake_gives_its_number_back(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        open_case(cast.counselor)
        raise RuntimeError("the intake failed after numbering")
    assert open_case(cast.counselor).sequence == 1


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_intakes_get_gap_free_unique_numbers(cast):
    clients = [ClientFactory() for _ in range(20)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def intake(client):
        try:
            barrier.wait()
            services.case_open(
                desk=desk("yorozu"),
                client=client,
                title="同時受付",
                intake_channel="phone",
                by=cast.counselor,
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=intake, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(Case.objects.filter(desk__code="yorozu").values_list("sequence", flat=True))
    assert sequences == list(range(1, 21))
