"""A unit's direct members in pages (`org.queries.unit_members_page`) against brute force: 120 placements in
one team (ended, upcoming, several per person, FTEs and allocations whose effective FTE rounds half up),
each page a slice of the whole list sorted here, and the capacity summed over everyone."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import select

from orgonaut.org import queries, service
from orgonaut.org.models import Actor, Placement
from orgonaut.paging import PageRequest
from tests.integration.org.conftest import DAY, SmallOrg

# Effective FTEs on a half cent: 0.375 -> 0.38, 0.125 -> 0.13, 0.165 -> 0.17.
HALVES = [("0.75", 50), ("0.25", 50), ("0.33", 50)]


def test_every_page_is_the_slice_of_the_whole_list_and_the_capacity_is_everyones(session, org: SmallOrg):
    draw = random.Random(9)
    placements = []
    for n in range(120):
        fte, allocation = HALVES[n % 3] if n % 4 == 0 else (f"{draw.randint(1, 100) / 100:.2f}",
                                                              draw.randint(1, 150))
        actor = service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None,
                                     name=f"{draw.choice(['Ann', 'bo', 'Cy'])} {n % 40}", email=f"m{n}@x.test",
                                     fte=fte)
        start = DAY - dt.timedelta(days=draw.randint(0, 100)) if n % 10 else DAY + dt.timedelta(days=3)
        end = DAY - dt.timedelta(days=1) if n % 15 == 1 else None
        placements.append(service.create_placement(
            session=session, tenant_id=org.tenant_id, actor_id=actor.id, org_unit_id=org.checkout.id,
            is_primary=n % 2 == 0, allocation_pct=allocation, start_date=start, end_date=end))
    session.commit()
    names = {a.id: a for a in session.exec(select(Actor).where(Actor.tenant_id == org.tenant_id)).all()}
    every = [p for p in session.exec(select(Placement).where(Placement.org_unit_id == org.checkout.id)).all()
             if p.start_date <= DAY and (p.end_date is None or p.end_date >= DAY)]
    expected = sorted(every, key=lambda p: (names[p.actor_id].name.lower(), p.actor_id, p.id))
    capacity = sum(((Decimal(names[p.actor_id].fte) * p.allocation_pct / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    for p in expected), Decimal(0))
    assert len(expected) > 100

    for size in (7, 50, 200):
        shown, number = [], 1
        while True:
            found = queries.unit_members_page(session=session, org_unit_id=org.checkout.id, on=DAY,
                                              request=PageRequest(number, size))
            assert (found.members.page, found.members.total, found.effective_fte) == (number, len(expected), capacity)
            shown.append([placement.id for _actor, placement in found.members.items])
            if number == found.members.pages:
                break
            number += 1
        ids = [p.id for p in expected]
        assert shown == [ids[i:i + size] for i in range(0, len(ids), size)]
    last = queries.unit_members_page(session=session, org_unit_id=org.checkout.id, on=DAY,
                                     request=PageRequest(10**9, 50))
    assert last.members.page == last.members.pages == -(-len(expected) // 50)
