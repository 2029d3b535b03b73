"""Request dependencies: the database session, the Bearer token, the tenant, and access checks.

Order of checks on every protected route: a usable token (401), the X-Tenant header (403), the
tenant's plan (403), the token's ability (403); only then are ids looked up (404) and values checked
(422) by the route.

X-Tenant: when sent it must equal the slug of the token's tenant, else 403 `tenant_mismatch` (the
token is valid, it is just not a credential for that tenant). The answer is the same whether the named
tenant exists or not, so the header cannot be used to discover tenants.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer
from sqlmodel import Session

from orgonaut.api.errors import ApiError, unauthorized
from orgonaut.db import get_engine
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import FEATURE_NAMES, Ability, Feature, Tenant
from orgonaut.tenancy.service import has_feature, plans_sentence


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


class _BearerHeader(HTTPBearer):
    """Documents the Bearer scheme in OpenAPI; hands the raw header over so we can tell missing from malformed."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return request.headers.get("Authorization")


_bearer = _BearerHeader(
    scheme_name="ApiToken", description="An Orgonaut API token: `Authorization: Bearer ogt_…`.", auto_error=False
)


def current_token(
    session: SessionDep,
    authorization: Annotated[str | None, Depends(_bearer)],
    x_tenant: Annotated[
        str | None,
        Header(alias="X-Tenant", description="Optional: the tenant's slug; must be the token's tenant."),
    ] = None,
) -> tokens.TokenAccess:
    if not authorization or not authorization.strip():
        raise unauthorized("Send an API token: 'Authorization: Bearer ogt_…'.", token_sent=False)
    scheme, _, secret = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized("The Authorization header must be 'Bearer ogt_…'.", token_sent=True)
    try:
        access = tokens.authenticate(session=session, secret=secret.strip())
    except tokens.TokenRejected as error:
        raise unauthorized(str(error), token_sent=True) from None
    if access.recorded_use:
        session.commit()  # the throttled last-used write: at most once a minute per token
    if x_tenant is not None and x_tenant != access.tenant.slug:
        raise ApiError(403, "tenant_mismatch", "This token does not belong to the tenant named by X-Tenant.")
    return access


CurrentToken = Annotated[tokens.TokenAccess, Depends(current_token)]


# Checks that do no I/O are async so they run on the event loop, not as one more thread-pool hop.
async def current_tenant(token: CurrentToken) -> Tenant:
    return token.tenant


CurrentTenant = Annotated[Tenant, Depends(current_tenant)]


def require(
    ability: Ability, feature: Feature | None = None
) -> Callable[[tokens.TokenAccess], Awaitable[tokens.TokenAccess]]:
    """A dependency that lets the request through only with the feature on the plan and the ability."""

    async def check(token: CurrentToken) -> tokens.TokenAccess:
        if feature is not None and not has_feature(token.tenant, feature):
            raise ApiError(
                403, "feature_unavailable",
                f"{FEATURE_NAMES.get(feature, feature.value)} ({feature.value}) is available on the "
                f"{plans_sentence(feature)} plans; this tenant is on the {token.tenant.plan} plan.",
            )
        if not token.can(ability):
            raise ApiError(403, "missing_ability", f"This token does not carry the {ability.value} ability.")
        return token

    return check


require_ai_tooling = require(Ability.ai_tooling_manage, Feature.ai_tooling)
