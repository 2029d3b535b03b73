"""API tokens: a user's Bearer credential for the REST API, with its own list of abilities.

Only the SHA-256 of the secret is stored (see `orgonaut.tenancy.tokens` for why a fast hash is
right for a 256-bit random secret); `prefix` is a few characters of the secret, kept for display so
people can tell their tokens apart.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Column, String
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    # Ability values (`orgonaut.tenancy.models.Ability`), sorted. At use they are cut down to what the
    # user's role holds then, so a role that loses an ability takes it from the user's tokens too.
    abilities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prefix: str = Field(max_length=16)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False), repr=False)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class ApiDataVersion(SQLModel, table=True):
    """A counter per tenant that database triggers raise whenever anything the cached API answers are
    built from changes (org, usage records, rollups, the tenant). The API's summary cache keys its
    entries by it, so an answer is reused only while nothing under it changed (`orgonaut.api.cache`).

    The triggers write it in the changing transaction, so a reader that sees a version also sees the
    data that came with it. No foreign key: a tenant's deletion must not trip over its counter.
    """

    __tablename__ = "api_data_versions"

    tenant_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
