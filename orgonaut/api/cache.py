"""The summary cache: answers to the read-only summary and series routes, reused while nothing under
them has changed.

A summary costs several queries and a few milliseconds of CPU to build; fifty clients polling them would
otherwise keep every core busy rebuilding the same answers. This ASGI layer sits in front of the API and,
for GET .../actors/{id}/summary|series, .../teams/{id}/summary and .../departments/{id}/summary:

1. checks the Bearer token with one query that also reads the tenant's data version
   (`api_data_versions`, raised by database triggers in the same transaction as any change to the org,
   the usage records, the rollups or the tenant), applying the same rules as `tokens.authenticate`;
2. answers from the cache when an answer was stored for (tenant, data version, tenant's today, path,
   query); otherwise lets the API build it and keeps it if it is a 200.

Anything else goes to the API untouched: a token it would refuse, a missing ability or plan, an
X-Tenant mismatch, and a token whose last use is due to be written (once a minute), so every error and
every write comes from the one place that makes them. A version read before a change commits can only
key an answer that the next request, reading the new version, no longer finds: answers are never
older than the version they are stored under. `x-cache: hit|miss` says which happened.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import re
import threading
from typing import Any

import psycopg
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Receive, Scope, Send

from orgonaut import clock
from orgonaut.api.models import ApiDataVersion
from orgonaut.db import dedicated_connection
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import ROLE_USAGE_REACH, Ability, ApiToken, Feature, Role, Tenant, UsageReach, User
from orgonaut.tenancy.service import plan_has

logger = logging.getLogger(__name__)

CACHEABLE = re.compile(r"/ai-tooling/(?:actors/\d+/(?:summary|series)|(?:teams|departments)/\d+/summary)$")
MAX_ENTRIES = 4096
MAX_BODY_BYTES = 512 * 1024

_ACCESS = (
    select(
        ApiToken.tenant_id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.abilities, ApiToken.last_used_at,
        User.is_active, User.role, User.tenant_id.label("user_tenant_id"), Tenant.slug, Tenant.plan,
        Tenant.timezone, func.coalesce(ApiDataVersion.version, 0).label("version"),
    )
    .join(User, User.id == ApiToken.user_id)
    .join(Tenant, Tenant.id == ApiToken.tenant_id)
    .outerjoin(ApiDataVersion, ApiDataVersion.tenant_id == ApiToken.tenant_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


class SummaryCache:
    """ASGI middleware around the API app (see the module's docstring)."""

    def __init__(self, app: Any, max_entries: int = MAX_ENTRIES):
        self.app = app
        self.max_entries = max_entries
        self._entries: collections.OrderedDict[tuple, tuple[list, bytes]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._local = threading.local()  # each event-loop thread's own database connection

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not CACHEABLE.search(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is not None:
            headers, body = entry
            await send({"type": "http.response.start", "status": 200, "headers": [*headers, (b"x-cache", b"hit")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self._build_and_keep(key, scope, receive, send)

    def _key(self, scope: dict) -> tuple | None:
        """The cache key for a request the API would accept as it stands, or None to let the API decide."""
        headers = dict(scope["headers"])
        scheme, _, secret = headers.get(b"authorization", b"").decode("latin-1").strip().partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not tokens.looks_like_secret(secret):
            return None
        row = self._access(tokens.hash_secret(secret))
        if row is None or not _usable(row, headers.get(b"x-tenant")):
            return None
        today = clock.today_in(row.timezone or "UTC")
        return (row.tenant_id, row.version, today, scope["path"], scope.get("query_string", b""))

    def _access(self, token_hash: str) -> Row | _AccessRow | None:
        """The token's access row, on this thread's own connection (never a pooled one: see
        `dedicated_connection`); None, and the API decides, when the database cannot answer."""
        connection = getattr(self._local, "connection", None)
        try:
            if connection is None or connection.closed or connection.invalidated:
                connection = self._local.connection = dedicated_connection()
            if connection.dialect.name == "postgresql":
                return _access_on_driver(connection, token_hash)
            return connection.execute(_ACCESS, {"token_hash": token_hash}).first()
        except (SQLAlchemyError, psycopg.Error) as error:
            # The type only: the error's text would carry the statement's parameters.
            logger.warning("the summary cache could not read a token (%s); the API answers", type(error).__name__)
            self._local.connection = None
            if connection is not None:
                with contextlib.suppress(SQLAlchemyError):
                    connection.close()
            return None

    async def _build_and_keep(self, key: tuple, scope: dict, receive: Any, send: Any) -> None:
        started: dict[str, Any] = {}
        parts: list[bytes] = []

        async def keep(message: dict) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                message = {**message, "headers": [*message.get("headers", []), (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False) and started.get("status") == 200:
                    body = b"".join(parts)
                    if len(body) <= MAX_BODY_BYTES:
                        self._keep(key, list(started.get("headers", [])), body)
            await send(message)

        await self.app(scope, receive, keep)

    def _keep(self, key: tuple, headers: list, body: bytes) -> None:
        with self._lock:
            self._entries[key] = (headers, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


# The driver's rows, with the statement's own column names (so `_usable` reads either kind of row).
_AccessRow = collections.namedtuple("_AccessRow", _ACCESS.selected_columns.keys())  # type: ignore[misc]  # fields from the statement


@functools.cache
def _access_sql_postgres() -> tuple[str, dict[str, Any]]:
    compiled = _ACCESS.compile(dialect=postgresql.psycopg.dialect())
    return str(compiled), dict(compiled.params)


def _access_on_driver(connection: Connection, token_hash: str) -> _AccessRow | None:
    """`_ACCESS` sent by psycopg itself, prepared: SQLAlchemy's statement and result machinery cost
    three times the query's own client-side time on the busiest path of the API (`make bench`). The
    columns need no conversion on PostgreSQL (timestamptz arrives aware, JSON parsed)."""
    sql, params = _access_sql_postgres()
    with connection.connection.driver_connection.cursor() as cursor:
        row = cursor.execute(sql, {**params, "token_hash": token_hash}, prepare=True).fetchone()
    return None if row is None else _AccessRow(*row)


def _usable(row: Row | _AccessRow, x_tenant: bytes | None) -> bool:
    """Whether the API would let this token read AI Tooling summaries now, without writing anything."""
    now = clock.utcnow()
    if tokens.rejection(revoked_at=row.revoked_at, expires_at=row.expires_at, user_active=row.is_active,
                        user_tenant_id=row.user_tenant_id, token_tenant_id=row.tenant_id, now=now) is not None:
        return False
    if not tokens.use_is_recorded(row.last_used_at, now):
        return False  # the API writes this use
    if x_tenant is not None and x_tenant.decode("latin-1") != row.slug:
        return False
    if not plan_has(row.plan, Feature.ai_tooling):
        return False
    # Answers are kept per tenant, not per user: only for users who see every person's and unit's usage
    # (`orgonaut.org.visibility`), so one user's answer is never served to a user who may see less.
    if ROLE_USAGE_REACH.get(Role(row.role)) != UsageReach.everyone:
        return False
    return Ability.ai_tooling_manage in tokens.held_abilities(row.abilities, row.role)
