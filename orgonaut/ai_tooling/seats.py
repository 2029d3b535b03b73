"""Who holds a paid seat of each connection, as its vendor lists it (`providers.base.ListsSeats`): GitHub's
Copilot seats, Cursor's team members, Claude Enterprise's users with an account.

`refresh` reads a connection's list and replaces what was stored in one transaction, so the stored list is
always one whole answer of the vendor; a vendor that does not answer leaves the last list in place (its
`read_at` says how old it is). The nightly run reads every connection's list after its syncs
(`refresh_all`); the idle-seats page can read one at once. Holders are matched to people when read
(`holders`), with the same rules as usage, so a person added later takes their seat.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from orgonaut import jobs
from orgonaut.ai_tooling import seat_prices
from orgonaut.ai_tooling.matching import actor_email_map, normalise_source
from orgonaut.ai_tooling.models import AiToolSeat
from orgonaut.ai_tooling.price_schedule import price_on
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ListsSeats, ProviderError, Seat
from orgonaut.clock import utcnow
from orgonaut.db import session_scope
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus

logger = logging.getLogger(__name__)
REFRESH_TASK = "orgonaut.ai_tooling.refresh_seats"


def lists_seats(integration: Integration) -> bool:
    return registry.get_provider_info(integration.provider).lists_seats


def refresh(*, session: Session, integration: Integration) -> int:
    """Reads the connection's seats from its vendor and stores them in place of the last list; the number
    stored. Raises ProviderError (nothing changed) when the vendor does not answer."""
    client = registry.create_provider(integration.provider, credentials=integrations.read_config(integration),
                                      api_base=integration.api_base)
    if not isinstance(client, ListsSeats):
        raise ValueError(f"{integration.provider} lists no seats")
    listed = _priced_today(session, integration, _one_per_holder(client.seats()))
    now = utcnow()
    session.execute(delete(AiToolSeat).where(col(AiToolSeat.integration_id) == integration.id))
    session.add_all(AiToolSeat(
        tenant_id=integration.tenant_id, integration_id=integration.id, provider=integration.provider,
        source=seat.source, label=seat.label[:320], plan=seat.plan[:80], monthly_price_cents=seat.monthly_price_cents,
        held_since=seat.held_since, last_activity_at=seat.last_activity_at,
        pending_cancellation=seat.pending_cancellation, read_at=now) for seat in listed)
    return len(listed)


def _one_per_holder(listed: list[Seat]) -> list[Seat]:
    """A person holds a tool's seat once, however many times the vendor lists them (an enterprise lists a
    Copilot seat per granting organisation): the earliest-held of their entries stands."""
    chosen: dict[str, Seat] = {}
    for seat in sorted(listed, key=lambda s: (s.held_since or dt.date.max, s.plan)):
        source = normalise_source(seat.source)
        if source and source not in chosen:
            chosen[source] = dataclasses.replace(seat, source=source)
    return list(chosen.values())


def queue_refresh(*, tenant_id: int | None = None) -> None:
    """Reads the seat lists in a worker (one tenant's, or every tenant's)."""
    jobs.send(REFRESH_TASK, kwargs={"tenant_id": tenant_id})


def _priced_today(session: Session, integration: Integration, listed: list[Seat]) -> list[Seat]:
    """Seats of a plan whose price an admin set from a day on cost that price today, not the connection's own."""
    plans = seat_prices.plans(integration)
    if not plans:
        return listed
    today = utcnow().date()
    cents = {plan: price_on(seat_prices.schedule(session=session, integration=integration, plan=plan), today).price
             * 100 for plan in plans}
    return [dataclasses.replace(s, monthly_price_cents=cents.get(s.plan.lower(), s.monthly_price_cents))
            for s in listed]


def refresh_all(*, tenant_id: int | None = None) -> dict[int, int | str]:
    """Every connected connection that lists seats (of one tenant, or all), each in its own transaction:
    integration id -> seats stored, or why not (the vendor's error; the last list stays)."""
    statement = select(Integration).where(col(Integration.status) != IntegrationStatus.disconnected)
    if tenant_id is not None:
        statement = statement.where(Integration.tenant_id == tenant_id)
    with session_scope() as session:
        ids = [i.id for i in session.exec(statement.order_by(col(Integration.id))) if lists_seats(i)]
    done: dict[int, int | str] = {}
    for integration_id in ids:
        try:
            with session_scope() as session:
                integration = session.get(Integration, integration_id)
                if integration is not None and integration.status != IntegrationStatus.disconnected:
                    done[integration_id] = refresh(session=session, integration=integration)
        except ProviderError as error:
            logger.warning("could not read the seats of integration %s: %s", integration_id, error)
            done[integration_id] = str(error)
    return done


@dataclass(frozen=True)
class Holder:
    seat: AiToolSeat
    actor_id: int | None  # the Live person holding it (None: matched to nobody yet)


def holders(*, session: Session, tenant_id: int, providers: tuple[str, ...] | None = None) -> list[Holder]:
    """The stored seats of the tenant's connected connections, each with the Live person who holds it."""
    statement = (select(AiToolSeat).join(Integration, col(Integration.id) == AiToolSeat.integration_id)
                 .where(AiToolSeat.tenant_id == tenant_id, col(Integration.status) != IntegrationStatus.disconnected))
    if providers is not None:
        statement = statement.where(col(AiToolSeat.provider).in_(providers))
    stored = list(session.exec(statement.order_by(col(AiToolSeat.id))))
    owners = actor_email_map(session=session, tenant_id=tenant_id, scenario_id=None, emails=[s.source for s in stored])
    return [Holder(seat=s, actor_id=owners.get(s.source)) for s in stored]
