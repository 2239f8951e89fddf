"""The load generator's rows that link cases to the rest of the hub: experts and their
dispatches, referrals between desks and the file shares they grant (see `demo/load.py`)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.apps import apps
from faker import Faker

from casebook.common.fiscal import fiscal_year_of
from casebook.common.japanese import search_key
from casebook.intake.demo.bulk import next_id
from casebook.intake.models import CaseShare

if TYPE_CHECKING:
    from casebook.intake.demo.load import _CaseRow


class NetworkRows:
    """Part of `LoadGenerator`: it reads the generator's draw, organisation and plan."""

    rng: random.Random
    faker: Faker
    plan: Any
    desks: dict[str, Any]
    counselors: dict[str, list[int]]
    coordinators: dict[str, list[int]]
    start: dt.datetime
    today: dt.date
    _write: Callable[..., None]

    # --- experts and dispatches ---------------------------------------------------------------

    def _experts_and_dispatches(self, cases: list[_CaseRow]) -> None:
        rng = self.rng
        expert_model = apps.get_model("experts", "Expert")
        program_model = apps.get_model("experts", "DispatchProgram")
        dispatch_model = apps.get_model("experts", "Dispatch")
        first_expert = next_id(expert_model)
        experts = self.plan.counts["experts"]

        def expert_rows() -> Iterator[dict[str, Any]]:
            for n in range(experts):
                last, last_kana, _ = self.faker.last_name_pair()
                given, given_kana, _ = self.faker.first_name_pair()
                name = f"{last} {given}"
                yield {
                    "id": first_expert + n,
                    "name": name,
                    "name_kana": f"{last_kana} {given_kana}",
                    "name_search": search_key(name),
                    "qualifications": [rng.choice(["sme_consultant", "engineer", "tax"])],
                    "specialties": [rng.choice(["management", "production", "ip", "marketing"])],
                    "service_areas": [],
                    "day_rate_yen": rng.choice([30_000, 40_000, 50_000]),
                    "max_days_per_fy": Decimal(rng.choice([20, 30, 40])),
                    "registered_from": self.start.date(),
                }

        self._write("experts", expert_model, expert_rows())
        desk = self.desks.get("dispatch") or next(iter(self.desks.values()))
        programs = {}
        for fy in range(self.start.year, fiscal_year_of(self.today) + 1):
            program, _ = program_model.objects.get_or_create(
                fiscal_year=fy,
                code="load-general",
                defaults={"name": f"専門家派遣事業 {fy}年度", "desk": desk},
            )
            programs[fy] = program.pk
        # Approved by the dispatch desk's coordinators (any coordinator on a smaller cast).
        everyone = [u for users in self.coordinators.values() for u in users]
        deciders = self.coordinators.get(desk.code) or everyone
        eligible = [c for c in cases if c.status not in ("intake", "on_hold") and c.lead_id]
        chosen = rng.sample(eligible, min(self.plan.counts["dispatches"], len(eligible)))
        first = next_id(dispatch_model)

        def rows() -> Iterator[dict[str, Any]]:
            for n, case in enumerate(sorted(chosen, key=lambda c: c.opened_at)):
                requested = rng.choice([Decimal(2), Decimal(3), Decimal(5)])
                asked = case.opened_at + dt.timedelta(days=rng.randint(3, 20))
                row = {
                    "id": first + n,
                    "case_id": case.id,
                    "program_id": programs[fiscal_year_of(case.opened_at)],
                    "expert_id": first_expert + rng.randrange(experts),
                    "purpose": f"{case.title}のための専門家派遣",
                    "requested_days": requested,
                    "day_rate_yen": 40_000,
                    "requested_by_id": case.lead_id,
                    "created_at": asked,
                    "submitted_at": asked,
                }
                if case.status == "closed":
                    done = min(asked + dt.timedelta(days=45), case.ends_at)
                    row |= {
                        "status": "closed",
                        "approved_days": requested,
                        "used_days": requested,
                        "decided_by_id": rng.choice(deciders or [case.lead_id]),
                        "approved_at": asked + dt.timedelta(days=2),
                        "completed_at": done,
                        "final_report": "派遣を完了し、助言内容を報告した。",
                        "final_report_at": done,
                        "closed_at": done,
                    }
                elif case.status == "dispatch":
                    row |= {
                        "status": "scheduled",
                        "approved_days": requested,
                        "decided_by_id": rng.choice(deciders or [case.lead_id]),
                        "approved_at": asked + dt.timedelta(days=2),
                    }
                else:
                    row["status"] = "requested"
                yield row

        self._write("dispatches", dispatch_model, rows())

    # --- referrals ----------------------------------------------------------------------------

    def _referrals(self, cases: list[_CaseRow]) -> None:
        rng = self.rng
        referral_model = apps.get_model("referrals", "Referral")
        partner_model = apps.get_model("referrals", "Partner")
        partners = list(partner_model.objects.filter(active=True).values_list("pk", flat=True))
        sources = [c for c in cases if c.desk_code == "yorozu" and c.lead_id]
        targets = [code for code in self.desks if code != "yorozu" and self.counselors[code]]
        if not sources or not targets:
            return
        chosen = rng.sample(sources, min(self.plan.counts["referrals"], len(sources)))
        first = next_id(referral_model)
        shares: list[dict[str, Any]] = []

        def rows() -> Iterator[dict[str, Any]]:
            for n, case in enumerate(sorted(chosen, key=lambda c: c.opened_at)):
                at = case.opened_at + dt.timedelta(days=rng.randint(1, 30))
                row = {
                    "id": first + n,
                    "from_case_id": case.id,
                    "handoff_note": f"{case.title}について専門窓口での対応をお願いします。",
                    "referred_by_id": case.lead_id,
                    "referred_at": at,
                }
                if partners and rng.random() < 0.25:
                    row |= {
                        "kind": "external",
                        "to_partner_id": rng.choice(partners),
                        "status": "outcome_reported" if case.status == "closed" else "sent",
                    }
                    yield row
                    continue
                desk = self.desks[rng.choice(targets)]
                status = "accepted" if case.status == "closed" else "pending"
                if status == "accepted" and rng.random() < 0.1:
                    status = "declined"
                row |= {
                    "kind": "internal",
                    "to_desk_id": desk.pk,
                    "status": status,
                    "share_full_file": rng.random() < 0.3,
                    "due_on": (at + dt.timedelta(days=14)).date(),
                }
                if status != "pending":
                    row |= {
                        "responded_by_id": rng.choice(self.counselors[desk.code]),
                        "responded_at": at + dt.timedelta(days=3),
                    }
                if status == "declined":
                    row["decline_reason"] = "当窓口の対象外のため。"
                if row["share_full_file"] and status in ("pending", "accepted"):
                    shares.append(
                        {"case_id": case.id, "desk_id": desk.pk, "source": f"referral:{row['id']}"}
                    )
                yield row

        self._write("referrals", referral_model, rows())
        self._write("case shares", CaseShare, iter(shares))
