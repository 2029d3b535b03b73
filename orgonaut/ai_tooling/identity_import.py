"""Identities from a CSV upload: `person_email,kind,value` per row, previewed before anything changes.

`preview` checks every row with the org's identity rules (`org.identities.check_add`) and says, per
row, what it would do (and, for an e-mail, how many unmatched records of this scope would become the
person's) or why it is refused: no such person in the scope, an unknown kind, a bad value, a value that
is someone else's (naming who), or one an earlier row of the file already gives to someone. `apply`
previews again and adds the accepted rows only, in the caller's transaction; refused rows change nothing.
Each added identity emits its org event, so the usage is re-matched after the commit.

It lives here, above the org domain, because the preview counts usage records.
"""

from __future__ import annotations

import csv
import dataclasses
import io

from sqlmodel import Session, col, func, select

from orgonaut.ai_tooling.matching import sources_for_identity
from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.emails import normalise_email
from orgonaut.errors import DomainError, ValidationFailed
from orgonaut.org import identities
from orgonaut.org import service as org
from orgonaut.org.models import IdentityKind

COLUMNS = ("person_email", "kind", "value")
MAX_ROWS = 5000


@dataclasses.dataclass(frozen=True)
class RowResult:
    line: int  # the file's line number (the header is line 1)
    person_email: str
    kind: str
    value: str  # normalised when accepted, as given when refused
    person: str = ""  # the person's name, when found
    actor_id: int = 0
    accepted: bool = False
    reason: str = ""  # why it is refused
    would_match: int = 0  # unmatched records of this scope the identity would give the person


@dataclasses.dataclass(frozen=True)
class Preview:
    rows: list[RowResult]

    @property
    def accepted(self) -> list[RowResult]:
        return [r for r in self.rows if r.accepted]

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if not r.accepted]


def _read(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if tuple(header[:3]) != COLUMNS:
        raise ValidationFailed("The CSV needs the header person_email,kind,value.")
    reader.fieldnames = header
    rows = [(reader.line_num, row) for row in reader]
    if not rows:
        raise ValidationFailed("The CSV has no rows under its header.")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"The CSV has {len(rows)} rows; at most {MAX_ROWS} at a time.")
    return rows


def _unmatched_count(session: Session, tenant_id: int, scenario_id: int | None, kind: str, value: str) -> int:
    """Unmatched records the identity would own: its e-mail's, its vendor id's, or those of the vendor-id
    sources the vendor also called by it (a GitHub login)."""
    sources = sources_for_identity(session=session, tenant_id=tenant_id, kind=kind, value=value)
    if not sources:
        return 0
    return session.exec(select(func.count()).select_from(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant_id, AiToolUsageRecord.scope_key == scope_key(scenario_id),
        col(AiToolUsageRecord.source_email).in_(sources), col(AiToolUsageRecord.actor_id).is_(None),
    )).one()


def preview(*, session: Session, tenant_id: int, scenario_id: int | None, text: str) -> Preview:
    """Every row's outcome; writes nothing. A file without the header or rows is refused as a whole."""
    org.ensure_writable(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    results: list[RowResult] = []
    given: dict[tuple[str, str], tuple[int, str]] = {}  # (kind, value) -> (line, person) of an accepted row
    for line, row in _read(text):
        person_email = (row.get("person_email") or "").strip()
        kind, value = (row.get("kind") or "").strip().lower() or IdentityKind.email.value, row.get("value") or ""
        base = RowResult(line=line, person_email=person_email, kind=kind, value=value.strip())
        actor = org.get_actor_by_email(session=session, tenant_id=tenant_id, scenario_id=scenario_id,
                                       email=person_email)
        if actor is None:
            reason = ("No person e-mail." if not normalise_email(person_email)
                      else f"No person has the e-mail {normalise_email(person_email)} in this scope.")
            results.append(dataclasses.replace(base, reason=reason))
            continue
        base = dataclasses.replace(base, person=actor.name, actor_id=actor.id)
        try:
            checked_kind, checked_value = identities.check_add(session=session, tenant_id=tenant_id,
                                                               actor_id=actor.id, kind=kind, value=value)
        except DomainError as error:
            results.append(dataclasses.replace(base, reason=str(error)))
            continue
        earlier = given.get((checked_kind.value, checked_value))
        if earlier is not None:
            results.append(dataclasses.replace(
                base, value=checked_value,
                reason=f"Line {earlier[0]} already gives the {identities.label(checked_kind)} {checked_value} "
                       f"to {earlier[1]}."))
            continue
        given[(checked_kind.value, checked_value)] = (line, actor.name)
        would = _unmatched_count(session, tenant_id, scenario_id, checked_kind.value, checked_value)
        results.append(dataclasses.replace(base, kind=checked_kind.value, value=checked_value, accepted=True,
                                           would_match=would))
    return Preview(rows=results)


def apply(*, session: Session, tenant_id: int, scenario_id: int | None, text: str) -> Preview:
    """Adds the accepted rows of a fresh preview (flushed; the caller commits); refused rows change nothing."""
    result = preview(session=session, tenant_id=tenant_id, scenario_id=scenario_id, text=text)
    for row in result.accepted:
        identities.add_identity(session=session, tenant_id=tenant_id, actor_id=row.actor_id, kind=row.kind,
                                value=row.value)
    return result
