"""Re-matching usage records when the org model changes an actor's e-mail or identities.

An actor created, an actor's e-mail changed, or an identity added, moved or removed (`org.identities`)
re-matches that scope's records for the sources the value can own (the e-mail itself, a vendor id's
source, and the vendor-id sources the vendor also called by that login or e-mail,
`matching.sources_for_identity`): new matches link, records of a source the actor no longer owns become
unmatched (or go to another actor who owns it). The rollups of the actors whose usage moved are owed a
refresh in the same transaction. Handlers run after the org change commits, in their own session.
"""

from __future__ import annotations

from collections.abc import Iterable

from orgonaut.ai_tooling.changes import owe_refresh
from orgonaut.ai_tooling.matching import rematch, sources_for_identity
from orgonaut.db import session_scope
from orgonaut.org import events
from orgonaut.org.models import IdentityKind


def rematch_identities(*, tenant_id: int, scenario_id: int | None, identities: Iterable[tuple[str, str]]) -> None:
    """Re-matches the sources the (kind, value) identities can own."""
    with session_scope() as session:
        sources = {source for kind, value in identities
                   for source in sources_for_identity(session=session, tenant_id=tenant_id, kind=kind, value=value)}
        result = rematch(session=session, tenant_id=tenant_id, scenario_id=scenario_id, emails=sources)
        if result.changed and result.start and result.end:  # owed in the re-match's own transaction
            owe_refresh(session, tenant_id=tenant_id, scenario_id=scenario_id, start=result.start, end=result.end,
                        actor_ids=result.actor_ids)


def rematch_emails(*, tenant_id: int, scenario_id: int | None, emails: Iterable[str]) -> None:
    rematch_identities(tenant_id=tenant_id, scenario_id=scenario_id,
                       identities=[(IdentityKind.email.value, email) for email in emails])


def on_actor_created(event: events.ActorCreated) -> None:
    if event.email:
        rematch_emails(tenant_id=event.tenant_id, scenario_id=event.scenario_id, emails=[event.email])


def on_actor_email_changed(event: events.ActorEmailChanged) -> None:
    emails = [e for e in (event.old_email, event.new_email) if e]
    if emails:
        rematch_emails(tenant_id=event.tenant_id, scenario_id=event.scenario_id, emails=emails)


def on_actor_identity_changed(event: events.ActorIdentityChanged) -> None:
    rematch_identities(tenant_id=event.tenant_id, scenario_id=event.scenario_id,
                       identities=[(event.kind, event.value)])


def register() -> None:
    """Idempotent: `events.subscribe` ignores a handler it already has."""
    events.subscribe(events.ActorCreated, on_actor_created)
    events.subscribe(events.ActorEmailChanged, on_actor_email_changed)
    events.subscribe(events.ActorIdentityChanged, on_actor_identity_changed)
