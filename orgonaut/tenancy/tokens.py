"""API tokens: create, list, revoke, and resolve a Bearer secret to what it may do.

A secret is `ogt_` followed by 43 characters drawn by `secrets` from [A-Za-z0-9] (about 256 bits).
Only its SHA-256 is stored. A slow password hash (argon2) is there to make guessing a human-chosen
password expensive; a 256-bit random secret cannot be guessed, so one fast hash is enough, and it lets
a request find its token with one indexed equality lookup instead of an argon2 run per request. The
`ogt_` marker lets secret scanners recognise a leaked token; `prefix` (the first 8 characters after
the marker) tells tokens apart on the settings page and in the CLI and is useless for guessing.

A token carries a list of abilities, never one its user's role lacks: checked when it is created,
and again at every use, where the token's abilities are cut down to what the role holds then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from orgonaut.clock import utcnow
from orgonaut.emails import normalise_email
from orgonaut.errors import DomainError, Forbidden, NotFound, ValidationFailed
from orgonaut.tenancy.models import Ability, ApiToken, Role, Tenant, User
from orgonaut.tenancy.service import abilities_of

TOKEN_MARKER = "ogt_"
SECRET_LENGTH = 43
PREFIX_LENGTH = 8
MAX_NAME_LENGTH = 100
MAX_EXPIRY_DAYS = 3650
# A new token expires after this many days unless its creator chooses otherwise (never is a choice, not
# the default: a forgotten token should not live forever); the list warns this many days before.
DEFAULT_EXPIRY_DAYS = 90
EXPIRY_WARNING_DAYS = 14
# last_used_at is written at most this often per token, so a busy client costs no write per request.
USE_RECORD_INTERVAL = dt.timedelta(minutes=1)
_ALPHABET = string.ascii_letters + string.digits
_SECRET_RE = re.compile(rf"^{TOKEN_MARKER}[A-Za-z0-9]{{{SECRET_LENGTH}}}$")


class TokenRejected(DomainError):
    """The secret is malformed, unknown, expired or revoked, or its user is deactivated (HTTP 401)."""

    code = "unauthorized"


class TokenStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


@dataclass(frozen=True)
class TokenAccess:
    """What a request holding a valid secret may do: its tenant, its user, its abilities now."""

    token_id: int
    tenant: Tenant
    user: User
    abilities: frozenset[Ability]
    recorded_use: bool = False  # this call wrote last_used_at (the caller commits it)

    def can(self, ability: Ability | str) -> bool:
        return Ability(ability) in self.abilities


# --- secrets --------------------------------------------------------------------------------------


def generate_secret() -> str:
    return TOKEN_MARKER + "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(secret: str) -> bool:
    return bool(_SECRET_RE.match(secret))


def display_prefix(prefix: str) -> str:
    """How a token is shown: `ogt_AbCdEfGh…`."""
    return f"{TOKEN_MARKER}{prefix}…"


# --- rules --------------------------------------------------------------------------------------


def parse_abilities(values: Iterable[str]) -> list[Ability]:
    """Known abilities, de-duplicated and sorted; a clear error for an unknown one or none."""
    chosen: set[Ability] = set()
    for value in values:
        try:
            chosen.add(Ability(str(value).strip()))
        except ValueError:
            raise ValidationFailed(
                f"Unknown ability '{value}'. Valid abilities: {', '.join(a.value for a in Ability)}."
            ) from None
    if not chosen:
        raise ValidationFailed("Choose at least one ability for the token.")
    return sorted(chosen, key=lambda a: a.value)


def grantable_abilities(user: User) -> list[Ability]:
    """The abilities a token of this user may carry: those of the user's role."""
    return sorted(abilities_of(user.role), key=lambda a: a.value)


def _clean_name(name: str) -> str:
    value = (name or "").strip()
    if not value:
        raise ValidationFailed("A token needs a name, for example what or who uses it.")
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"A token name has at most {MAX_NAME_LENGTH} characters.")
    return value


def _expiry(expires_in_days: int | None) -> dt.datetime | None:
    if expires_in_days is None:
        return None
    if isinstance(expires_in_days, bool) or not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValidationFailed(f"A token expires in 1 to {MAX_EXPIRY_DAYS} days, not {expires_in_days}.")
    return utcnow() + dt.timedelta(days=expires_in_days)


def status_of(token: ApiToken, *, now: dt.datetime | None = None) -> TokenStatus:
    return token_status(revoked_at=token.revoked_at, expires_at=token.expires_at, now=now or utcnow())


def expiry_warning(token: ApiToken, *, now: dt.datetime | None = None) -> str:
    """"Expires in 3 days" for an active token within `EXPIRY_WARNING_DAYS` of its end, else ""."""
    now = now or utcnow()
    if status_of(token, now=now) != TokenStatus.active or token.expires_at is None:
        return ""
    left = token.expires_at - now
    if left > dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return ""
    if left < dt.timedelta(days=1):
        return "Expires within a day"
    days = math.ceil(left / dt.timedelta(days=1))  # 2 days and 23 hours left: "in 3 days"
    return f"Expires in {days} days"


def token_status(*, revoked_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime) -> TokenStatus:
    if revoked_at is not None:
        return TokenStatus.revoked
    if expires_at is not None and expires_at <= now:
        return TokenStatus.expired
    return TokenStatus.active


# --- create, list, revoke -------------------------------------------------------------------------


def get_user_by_email_or_raise(*, session: Session, tenant: Tenant, email: str) -> User:
    """The tenant's user with this e-mail (the operator CLI names users so); NotFound otherwise."""
    address = normalise_email(email)
    user = session.exec(select(User).where(User.tenant_id == tenant.id, User.email == address)).first()
    if user is None:
        raise NotFound(f"There is no user {address or repr(email)} in {tenant.slug}.")
    return user


def create_token(
    *, session: Session, user: User, name: str, abilities: Iterable[str],
    expires_in_days: int | None = DEFAULT_EXPIRY_DAYS,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its secret, which is never stored and cannot be shown again."""
    if not user.is_active:
        raise ValidationFailed(f"{user.email} is deactivated and cannot hold API tokens.")
    clean_name = _clean_name(name)
    chosen = parse_abilities(abilities)
    lacking = [a.value for a in chosen if a not in abilities_of(user.role)]
    if lacking:
        raise Forbidden(
            f"A token cannot carry {', '.join(lacking)}: the {user.role} role of {user.email} does not include "
            f"{'it' if len(lacking) == 1 else 'them'}."
        )
    expires_at = _expiry(expires_in_days)
    secret = generate_secret()
    token = ApiToken(
        tenant_id=user.tenant_id, user_id=user.id, name=clean_name, abilities=[a.value for a in chosen],
        prefix=secret[len(TOKEN_MARKER):][:PREFIX_LENGTH], token_hash=hash_secret(secret), expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(*, session: Session, tenant_id: int) -> list[tuple[ApiToken, User]]:
    """Every token of the tenant with its user, newest first."""
    rows = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == ApiToken.user_id)
        .where(ApiToken.tenant_id == tenant_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    return [(token, user) for token, user in rows]


def get_token_or_raise(*, session: Session, token_id: int, tenant_id: int | None = None) -> ApiToken:
    """The token; NotFound when it does not exist or (with `tenant_id`) belongs to another tenant."""
    token = session.get(ApiToken, token_id)
    if token is None or (tenant_id is not None and token.tenant_id != tenant_id):
        raise NotFound(f"API token {token_id} was not found.")
    return token


def revoke_token(*, session: Session, token_id: int, tenant_id: int | None = None) -> tuple[ApiToken, bool]:
    """Revokes the token for good. Returns it and whether this call revoked it (False: it already was)."""
    token = get_token_or_raise(session=session, token_id=token_id, tenant_id=tenant_id)
    if token.revoked_at is not None:
        return token, False
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()
    return token, True


# --- use ------------------------------------------------------------------------------------------


def authenticate(*, session: Session, secret: str) -> TokenAccess:
    """Resolves a presented secret; TokenRejected (HTTP 401) when it cannot be used.

    Records the use (at most once a minute per token) in the caller's transaction;
    `TokenAccess.recorded_use` says whether there is anything to commit.
    """
    if not looks_like_secret(secret):
        raise TokenRejected("The Bearer token is not an Orgonaut API token (they start with 'ogt_').")
    row = session.exec(
        select(ApiToken, User, Tenant)
        .join(User, col(User.id) == ApiToken.user_id)
        .join(Tenant, col(Tenant.id) == ApiToken.tenant_id)
        .where(ApiToken.token_hash == hash_secret(secret))
    ).first()
    if row is None:
        raise TokenRejected("The API token is not valid.")
    token, user, tenant = row
    now = utcnow()
    problem = rejection(revoked_at=token.revoked_at, expires_at=token.expires_at, user_active=user.is_active,
                        user_tenant_id=user.tenant_id, token_tenant_id=token.tenant_id, now=now)
    if problem is not None:
        raise TokenRejected(problem)
    held = held_abilities(token.abilities, user.role)
    recorded = _record_use(session, token, now)
    return TokenAccess(token_id=token.id, tenant=tenant, user=user, abilities=held, recorded_use=recorded)


def rejection(
    *, revoked_at: dt.datetime | None, expires_at: dt.datetime | None, user_active: bool, user_tenant_id: int,
    token_tenant_id: int, now: dt.datetime,
) -> str | None:
    """Why a found token cannot be used now (the 401 message), or None. The one statement of the rule,
    for `authenticate` and for the API's summary cache, which reads the same columns in one query."""
    status = token_status(revoked_at=revoked_at, expires_at=expires_at, now=now)
    if status == TokenStatus.revoked:
        return "The API token has been revoked."
    if status == TokenStatus.expired:
        return f"The API token expired on {expires_at:%Y-%m-%d %H:%M} UTC."
    if not user_active or user_tenant_id != token_tenant_id:
        return "The API token's user is deactivated."
    return None


def held_abilities(token_abilities: Iterable[str], role: Role | str) -> frozenset[Ability]:
    """The token's abilities that its user's role holds now."""
    chosen = set(token_abilities)
    return frozenset(a for a in abilities_of(role) if a.value in chosen)


def use_is_recorded(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the last use written is recent enough that this one need not be written."""
    return last_used_at is not None and now - last_used_at < USE_RECORD_INTERVAL


def _record_use(session: Session, token: ApiToken, now: dt.datetime) -> bool:
    if use_is_recorded(token.last_used_at, now):
        return False
    # The condition repeats the check in SQL, so concurrent requests write at most once.
    session.execute(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token.id,
            or_(col(ApiToken.last_used_at).is_(None), col(ApiToken.last_used_at) <= now - USE_RECORD_INTERVAL),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return True
