"""The other names vendors give vendor-id sources (`UsageSourceAlias`): kept from each fetched day, and
read back to name a source on the Unmatched list. Matching reads them itself (`matching`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from sqlmodel import Session, col, select

from orgonaut.ai_tooling.models import UsageSourceAlias
from orgonaut.ai_tooling.providers.base import SourceHint, vendor_id_of
from orgonaut.org.identities import label as identity_label
from orgonaut.org.models import IdentityKind

DISPLAY_NAME = "display_name"  # an alias kind that is only shown, never matched
_BATCH = 500
_MAX_VALUE = 320


def record_aliases(
    *, session: Session, tenant_id: int, hints: Mapping[str, SourceHint], day: dt.date
) -> set[str]:
    """Keeps the names of each vendor-id source in `hints` as seen on `day` (flushed, not committed); a
    name already kept moves its `last_seen` forward only. Returns the sources that got a new name."""
    wanted: dict[tuple[str, str, str], None] = {}
    for source, hint in hints.items():
        if vendor_id_of(source) is None:
            continue  # an e-mail source needs no other name
        pairs = [*hint.identities, *([(DISPLAY_NAME, hint.display_name)] if hint.display_name else [])]
        for kind, value in pairs:
            value = _normalised(kind, value)
            if value:
                wanted[(source, kind, value)] = None
    if not wanted:
        return set()
    sources = sorted({source for source, _, _ in wanted})
    existing: dict[tuple[str, str, str], UsageSourceAlias] = {}
    for start in range(0, len(sources), _BATCH):
        for alias in session.exec(select(UsageSourceAlias).where(
            UsageSourceAlias.tenant_id == tenant_id, col(UsageSourceAlias.source).in_(sources[start:start + _BATCH]),
        )):
            existing[(alias.source, alias.kind, alias.value)] = alias
    added: set[str] = set()
    for key in wanted:
        kept = existing.get(key)
        if kept is None:
            session.add(UsageSourceAlias(tenant_id=tenant_id, source=key[0], kind=key[1], value=key[2], last_seen=day))
            added.add(key[0])
        elif kept.last_seen < day:
            kept.last_seen = day
            session.add(kept)
    session.flush()
    return added


def _normalised(kind: str, value: str) -> str:
    value = (value or "").strip()[:_MAX_VALUE]
    if kind in (IdentityKind.email.value, IdentityKind.github_login.value):
        return value.removeprefix("@").lower()
    return value


@dataclasses.dataclass(frozen=True)
class SourceNames:
    label: str  # how the Unmatched list names the source: "@octocat (GitHub user id 583231)"
    email: str  # an e-mail the vendor gave it (SAML, say), to suggest for a new person; "" if none


def names_of(*, session: Session, tenant_id: int, sources: Iterable[str]) -> dict[str, SourceNames]:
    """Names for the vendor-id sources among `sources` (e-mails and API keys are their own names)."""
    ids = {source: vendor_id_of(source) for source in sources}
    wanted = sorted(source for source, vendor_id in ids.items() if vendor_id is not None)
    latest: dict[tuple[str, str], tuple[dt.date, str]] = {}  # (source, kind) -> the newest name of that kind
    for start in range(0, len(wanted), _BATCH):
        for alias in session.exec(select(UsageSourceAlias).where(
            UsageSourceAlias.tenant_id == tenant_id, col(UsageSourceAlias.source).in_(wanted[start:start + _BATCH]),
        )):
            key = (alias.source, alias.kind)
            if key not in latest or (alias.last_seen, alias.value) > latest[key]:
                latest[key] = (alias.last_seen, alias.value)
    names = {}
    for source in wanted:
        kind, vendor_id = ids[source]  # type: ignore[misc]
        login = latest.get((source, IdentityKind.github_login.value))
        shown = latest.get((source, DISPLAY_NAME))
        email = latest.get((source, IdentityKind.email.value))
        first = f"@{login[1]}" if login else (shown[1] if shown else (email[1] if email else ""))
        what = f"{identity_label(kind)} {vendor_id}"
        names[source] = SourceNames(label=f"{first} ({what})" if first and first != vendor_id else what,
                                    email=email[1] if email else "")
    return names
