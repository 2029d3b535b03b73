"""Re-matching usage records when the org model changes an actor's e-mail or identities.

An actor created, an actor's e-mail changed, or an e-mail identity added, moved or removed
(`org.identities`) re-matches that scope's records for the e-mails
involved: new matches link, records of an e-mail the actor no longer owns become unmatched (or go to
another actor who owns it). The rollups of the actors whose usage moved are owed a refresh in the same transaction.
Handlers run after the org change commits, in their own session.
"""

from __future__ import annotations

from collections.abc import Iterable

from orgonaut.ai_tooling.changes import owe_refresh
from orgonaut.ai_tooling.matching import rematch
from orgonaut.db import session_scope
from orgonaut.org import events
from orgonaut.org.models import IdentityKind


def rematch_emails(*, tenant_id: int, scenario_id: int | None, emails: Iterable[str]) -> None:
    with session_scope() as session:
        result = rematch(session=session, tenant_id=tenant_id, scenario_id=scenario_id, emails=emails)
        if result.changed and result.start and result.end:  # owed in the re-match's own transaction
            owe_refresh(session, tenant_id=tenant_id, scenario_id=scenario_id, start=result.start, end=result.end,
                        actor_ids=result.actor_ids)


def on_actor_created(event: events.ActorCreated) -> None:
    if event.email:
        rematch_emails(tenant_id=event.tenant_id, scenario_id=event.scenario_id, emails=[event.email])


def on_actor_email_changed(event: events.ActorEmailChanged) -> None:
    emails = [e for e in (event.old_email, event.new_email) if e]
    if emails:
        rematch_emails(tenant_id=event.tenant_id, scenario_id=event.scenario_id, emails=emails)


def on_actor_identity_changed(event: events.ActorIdentityChanged) -> None:
    # Only e-mails are on usage records today; GitHub and Cursor ids join when their records do.
    if event.kind == IdentityKind.email.value:
        rematch_emails(tenant_id=event.tenant_id, scenario_id=event.scenario_id, emails=[event.value])


def register() -> None:
    """Idempotent: `events.subscribe` ignores a handler it already has."""
    events.subscribe(events.ActorCreated, on_actor_created)
    events.subscribe(events.ActorEmailChanged, on_actor_email_changed)
    events.subscribe(events.ActorIdentityChanged, on_actor_identity_changed)
