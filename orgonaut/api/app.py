"""The REST API: a FastAPI app for /api/v1, mounted into the Reflex app by `rx.App(api_transformer=...)`.

`create_app()` returns a Starlette app with the versioned API mounted at /api/v1, so everything under
/api/v1 (unknown paths and methods included) is answered by the API in its JSON error envelope, while
every other path falls through to Reflex, which appends its own app behind ours. The OpenAPI document
is at /api/v1/openapi.json and the interactive docs at /api/v1/docs.

No lifespan work is needed (Reflex does not run a mounted app's lifespan): the database engine is made
on first use.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount

from orgonaut.api import errors
from orgonaut.api.cache import SummaryCache
from orgonaut.api.headers import OneOfEachCredential
from orgonaut.api.routers import actors, units, usage
from orgonaut.runtime import freeze_startup_heap

API_PREFIX = "/api/v1"
DESCRIPTION = """
Programmatic access to AI Tooling usage: daily records, and the same per-person, team and department
numbers the pages show.

**Authentication.** Send an API token as `Authorization: Bearer ogt_…`. Owners and admins create tokens
on Settings → API tokens (or `orgonaut tokens create`); a token carries abilities, never more than its
user's role holds, and loses an ability when the role does. Every endpoint here needs the
`ai-tooling.manage` ability and a plan with AI Tooling (business, enterprise, agency).
`X-Tenant: <slug>` is optional; when sent it must name the token's tenant.

**Errors** are `{"error": {"code", "message", "param"}}`: 401 bad or missing token, 403 missing ability,
plan or tenant, 404 an id not in this tenant and scope, 422 a bad parameter (named in `param`).

**Money** is whole USD cents (`*cost_cents`, rounded half-up) with the exact amount beside it
(`*cost_cents_exact`, a decimal string of cents).

**Scope.** `scenario` is `live` (the default) or the id of a scenario or snapshot; ids belong to one
scope, and an id of another scope is 404.
"""


def create_api() -> FastAPI:
    """The versioned API on its own, with paths relative to /api/v1."""
    api = FastAPI(
        title="Orgonaut AI Tooling API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        # Paths in the document are relative to the mount; say where it is, whatever the request was.
        servers=[{"url": API_PREFIX}],
        root_path_in_servers=False,
    )
    errors.install(api)
    api.include_router(usage.router)
    api.include_router(actors.router)
    api.include_router(units.teams_router)
    api.include_router(units.departments_router)
    return api


def query_params(api: FastAPI) -> list[tuple[str, list[str]]]:
    """Each GET route's path and the query parameters it reads, as its OpenAPI document says."""
    return [(path, [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"])
            for path, operations in api.openapi()["paths"].items() if "get" in operations]


def create_app() -> Starlette:
    """What Reflex mounts: /api/v1 -> the API behind its summary cache, behind the one-credential check;
    Reflex adds itself behind it for every other path."""
    api = create_api()
    cached = SummaryCache(api, route_params=query_params(api))
    app = Starlette(routes=[Mount(API_PREFIX, app=OneOfEachCredential(cached))])
    freeze_startup_heap()  # a server process from here on
    return app


api_app = create_app()
