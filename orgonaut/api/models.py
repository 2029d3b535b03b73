"""The API's own table: the data version its summary cache keys answers by.

`ApiToken` (the `api_tokens` table) belongs to the tenancy domain, next to its rules in
`orgonaut.tenancy.tokens`; it is re-exported here for the API's modules.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from orgonaut.tenancy.models import ApiToken as ApiToken


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
