"""The REST API: a FastAPI app for /api/v1, mounted into the Reflex app by `rx.App(api_transformer=...)`.

`create_app()` returns a Starlette app with the versioned API mounted at /api/v1, so everything under
/api/v1 (unknown paths and methods included) is answered by the API in its JSON error envelope, while
every other path falls through to Reflex, which appends its own app behind ours. The OpenAPI document
is at /api/v1/openapi.json and the interactive docs at /api/v1/docs.

No lifespan work is needed (Reflex does not run a mounted app's lifespan): the database engine is made
on first use.
"""

from __future__ import annotations

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.applications import Starlette
from starlette.routing import Mount

from orgonaut.api import errors, session_cookie
from orgonaut.api.cache import SummaryCache
from orgonaut.api.headers import OneOfEachCredential
from orgonaut.api.routers import (
    actors,
    anomalies,
    budgets,
    chargeback,
    idle_seats,
    overview,
    overview_details,
    reconciliation,
    units,
    usage,
)
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
        docs_url=None,  # our own /docs below: Swagger UI from this app, not from a CDN
        redoc_url=None,
        # Paths in the document are relative to the mount; say where it is, whatever the request was.
        servers=[{"url": API_PREFIX}],
        root_path_in_servers=False,
    )
    errors.install(api)
    _install_docs(api)
    api.include_router(usage.router)
    api.include_router(actors.router)
    api.include_router(units.teams_router)
    api.include_router(units.departments_router)
    api.include_router(overview.router)
    api.include_router(overview_details.router)
    api.include_router(budgets.router)
    api.include_router(anomalies.router)
    api.include_router(chargeback.router)
    api.include_router(idle_seats.router)
    api.include_router(reconciliation.router)
    return api


DOCS_ASSETS = "/docs-assets"


def _install_docs(api: FastAPI) -> None:
    """Interactive docs at /docs with Swagger UI's files served from the installed swagger-ui-bundle:
    a script from a CDN would run on the app's origin, next to the session (security review, finding 8)."""
    api.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @api.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json", title="Orgonaut AI Tooling API",
            swagger_js_url=f"{API_PREFIX}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{API_PREFIX}{DOCS_ASSETS}/swagger-ui.css", swagger_favicon_url="/favicon.ico",
        )


def query_params(api: FastAPI) -> list[tuple[str, list[str]]]:
    """Each GET route's path and the query parameters it reads, as its OpenAPI document says."""
    return [(path, [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"])
            for path, operations in api.openapi()["paths"].items() if "get" in operations]


def create_app() -> Starlette:
    """What Reflex mounts: /api/v1 -> the API behind its summary cache, behind the one-credential check;
    Reflex adds itself behind it for every other path."""
    api = create_api()
    cached = SummaryCache(api, route_params=query_params(api))
    app = Starlette(routes=[Mount(API_PREFIX, app=OneOfEachCredential(cached)), *session_cookie.ROUTES])
    freeze_startup_heap()  # a server process from here on
    return app


api_app = create_app()
