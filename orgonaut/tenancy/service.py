"""Tenants, users, passwords, login sessions, and the one access check: `can(user, ability)`."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_
from sqlmodel import Session, col, delete, select

from orgonaut.clock import utcnow
from orgonaut.emails import looks_like_email, normalise_email
from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.settings import get_settings
from orgonaut.tenancy import login_guard
from orgonaut.tenancy.models import (
    FEATURE_NAMES,
    PLAN_FEATURES,
    ROLE_ABILITIES,
    Ability,
    Feature,
    LoginSession,
    Plan,
    Role,
    Tenant,
    User,
    plans_with,
)

MIN_PASSWORD_LENGTH = 12
# Longer input is refused before anything is stored or hashed (an e-mail address is at most 320).
MAX_LOGIN_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024
LOGIN_FAILED_MESSAGE = "Wrong e-mail or password."
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Argon2id with the library's defaults (RFC 9106, low memory); the test environment hashes with the
# library's cheapest parameters instead, since its thousands of users need no protection and each default
# hash costs ~85 ms of CPU. A hash keeps its parameters, so either one verifies any stored hash.
@functools.cache
def _hasher() -> PasswordHasher:
    if get_settings().environment == "test":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a wrong e-mail costs as much time as a wrong password."""
    return _hasher().hash("orgonaut-dummy-password")


def validate_email(email: str) -> str:
    value = normalise_email(email)
    if not looks_like_email(value):
        raise ValidationFailed(f"'{email.strip()}' is not a valid e-mail address.")
    return value


# --- access -----------------------------------------------------------------------------------


def abilities_of(role: Role | str) -> frozenset[Ability]:
    return ROLE_ABILITIES[Role(role)]


def can(user: User | None, ability: Ability | str) -> bool:
    """The one access check, used by pages, event handlers, API routes and tasks alike."""
    if user is None or not user.is_active:
        return False
    return Ability(ability) in abilities_of(user.role)


def has_feature(tenant: Tenant, feature: Feature | str) -> bool:
    return plan_has(tenant.plan, feature)


def plan_has(plan: Plan | str, feature: Feature | str) -> bool:
    return Feature(feature) in PLAN_FEATURES[Plan(plan)]


def plans_sentence(feature: Feature) -> str:
    """The plans that include `feature`, in words: "business, enterprise and agency"."""
    names = [plan.value for plan in plans_with(feature)]
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def feature_refusal(tenant: Tenant, feature: Feature) -> str | None:
    """Why the tenant's plan does not allow `feature` (pages, run logs, the CLI), or None when it does."""
    if has_feature(tenant, feature):
        return None
    listed = ", ".join(plan.value for plan in plans_with(feature))
    return f"The tenant's plan ({tenant.plan}) does not include {FEATURE_NAMES[feature]} (available on {listed})."


# --- tenants ----------------------------------------------------------------------------------


def get_tenant_by_slug(*, session: Session, slug: str) -> Tenant | None:
    return session.exec(select(Tenant).where(Tenant.slug == slug)).first()


def get_tenant_by_slug_or_raise(*, session: Session, slug: str) -> Tenant:
    tenant = get_tenant_by_slug(session=session, slug=slug)
    if tenant is None:
        raise NotFound(f"Unknown tenant '{slug}'.")
    return tenant


def create_tenant(
    *, session: Session, slug: str, name: str, plan: Plan | str = Plan.business, timezone: str = "UTC",
    currency: str = "USD",
) -> Tenant:
    if not _SLUG_RE.match(slug):
        raise ValidationFailed("A tenant slug is lower-case letters, digits and dashes (at most 63).")
    try:
        plan = Plan(plan)
    except ValueError:
        raise ValidationFailed(
            f"Unknown plan '{plan}'. Valid plans: {', '.join(p.value for p in Plan)}."
        ) from None
    try:
        ZoneInfo(timezone)
    except Exception:
        raise ValidationFailed(f"Unknown time zone '{timezone}'.") from None
    if get_tenant_by_slug(session=session, slug=slug):
        raise Conflict(f"A tenant with slug '{slug}' already exists.")
    tenant = Tenant(slug=slug, name=name.strip() or slug, plan=plan, timezone=timezone, currency=currency)
    session.add(tenant)
    session.flush()
    return tenant


def set_plan(*, session: Session, tenant: Tenant, plan: Plan | str) -> Tenant:
    tenant.plan = Plan(plan)
    session.add(tenant)
    session.flush()
    return tenant


# --- users ------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher().hash(password)


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationFailed(
            f"Unknown role '{role}'. Valid roles: {', '.join(r.value for r in Role)}."
        ) from None


def create_user(
    *, session: Session, tenant: Tenant, email: str, password: str, role: Role | str, name: str = ""
) -> User:
    address = validate_email(email)
    role = parse_role(role)
    existing = session.exec(
        select(User).where(User.tenant_id == tenant.id, User.email == address)
    ).first()
    if existing:
        raise Conflict(f"A user with e-mail {address} already exists in {tenant.slug}.")
    user = User(
        tenant_id=tenant.id, email=address, name=name or address.split("@")[0], role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def get_user(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def list_users(*, session: Session, tenant: Tenant, roles: set[Role] | None = None) -> list[User]:
    statement = select(User).where(User.tenant_id == tenant.id, User.is_active == True)  # noqa: E712
    if roles:
        statement = statement.where(col(User.role).in_([r.value for r in roles]))
    return list(session.exec(statement.order_by(User.email)))


# --- login ------------------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, session: Session, email: str, password: str, client: str = "") -> User:
    """The user for these credentials, or one generic error that does not say which part was wrong.

    `client` is the caller's network address: `login_guard` slows repeated failures per address and
    e-mail (never locking the owner out from elsewhere) and refuses floods before any hashing.
    """
    if len(email) > MAX_LOGIN_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(LOGIN_FAILED_MESSAGE)
    address = normalise_email(email)
    login_guard.check(client=client, email=address)
    # Users are unique per tenant; a login e-mail names one user (the first tenant's wins).
    user = session.exec(
        select(User).where(col(User.email) == address, col(User.is_active) == True).order_by(col(User.id))  # noqa: E712
    ).first()
    with login_guard.hash_slot():
        try:
            _hasher().verify(user.password_hash if user else _dummy_hash(), password or "")
            ok = user is not None
        except (VerificationError, InvalidHashError):
            ok = False
    if user is None or not ok:
        login_guard.failed(client=client, email=address)
        raise ValidationFailed(LOGIN_FAILED_MESSAGE)
    login_guard.succeeded(client=client, email=address)
    return user


# A session's end slides with use: `ORGONAUT_SESSION_IDLE_HOURS` after the last use, never later than
# `ORGONAUT_SESSION_DAYS` after the login. It is moved at most once a minute (one write, not one per event).
_SLIDE_STEP = dt.timedelta(minutes=1)


def _session_end(created_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    settings = get_settings()
    return min(created_at + dt.timedelta(days=settings.session_days),
               now + dt.timedelta(hours=settings.session_idle_hours))


def start_session(*, session: Session, user: User, replacing: str | None = None) -> str:
    """Creates a login session; returns the token for the cookie. Only its hash is stored. `replacing`:
    the tab's previous token, ended now (a new login never leaves the old session alive)."""
    end_session(session=session, token=replacing)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(LoginSession(user_id=user.id, token_hash=_hash_token(token), created_at=now,
                             expires_at=_session_end(now, now)))
    session.flush()
    return token


def user_for_token(*, session: Session, token: str | None) -> User | None:
    """The signed-in user of a session token, or None (unknown, revoked, idle too long, past its days,
    or the user deactivated). A use moves the session's idle end on."""
    return user_for_session_hash(session=session, token_hash=_hash_token(token) if token else None)


def user_for_session_hash(*, session: Session, token_hash: str | None) -> User | None:
    """`user_for_token` by the token's hash, which is all the page states hold (`login_tickets.reference`)."""
    if not token_hash:
        return None
    login = session.exec(select(LoginSession).where(LoginSession.token_hash == token_hash)).first()
    now = utcnow()
    if login is None or login.revoked_at is not None or login.expires_at <= now:
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.is_active:
        return None
    later = _session_end(login.created_at, now)
    if later - login.expires_at >= _SLIDE_STEP:
        login.expires_at = later
        session.add(login)
        session.flush()
    return user


def end_all_sessions(*, session: Session, user: User) -> int:
    """Log out everywhere: every open session of the user ends now; returns how many."""
    now = utcnow()
    open_sessions = session.exec(select(LoginSession).where(
        LoginSession.user_id == user.id, col(LoginSession.revoked_at).is_(None), LoginSession.expires_at > now))
    count = 0
    for login in open_sessions:
        login.revoked_at = now
        session.add(login)
        count += 1
    session.flush()
    return count


def purge_login_sessions(*, session: Session, keep_days: int = 1) -> int:
    """Deletes login sessions that ended (expired or revoked) more than `keep_days` ago; returns how many.
    Nothing reads them after their end, and the table would otherwise only grow (daily, from beat)."""
    before = utcnow() - dt.timedelta(days=keep_days)
    ended = or_(col(LoginSession.expires_at) < before, col(LoginSession.revoked_at) < before)
    result = session.exec(delete(LoginSession).where(ended))
    return int(result.rowcount or 0)


def end_session(*, session: Session, token: str | None) -> None:
    end_session_by_hash(session=session, token_hash=_hash_token(token) if token else None)


def end_session_by_hash(*, session: Session, token_hash: str | None) -> None:
    if not token_hash:
        return
    login = session.exec(select(LoginSession).where(LoginSession.token_hash == token_hash)).first()
    if login is not None and login.revoked_at is None:
        login.revoked_at = utcnow()
        session.add(login)
        session.flush()
