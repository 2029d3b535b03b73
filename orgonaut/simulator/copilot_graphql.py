"""The GitHub simulator's GraphQL endpoint: the organisation's SAML external identities (`nameId` and the
user's login and id), paged 100 at a time; `nosaml` tokens get GitHub's FORBIDDEN error, another login
NOT_FOUND, an organisation without SAML single sign-on a null provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from orgonaut.simulator.base import NOT_JSON
from orgonaut.simulator.faults import Fault

if TYPE_CHECKING:
    from orgonaut.simulator.copilot import GithubSimulator


def graphql_answer(sim: GithubSimulator, body: Any, token: str, fault: Fault | None) -> Response:
    """The SAML external identities query's answer, paged by `after` (`cursor:<offset>`)."""
    if body is NOT_JSON or not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return sim.error_response(400, "Problems parsing JSON")
    variables = body.get("variables") or {}
    if not isinstance(variables, dict) or variables.get("login") != sim.config.organization:
        return JSONResponse({"data": {"organization": None}, "errors": [
            {"type": "NOT_FOUND", "path": ["organization"],
             "message": f"Could not resolve to an Organization with the login of '{variables.get('login')}'."}]})
    if "nosaml" in token:
        return JSONResponse({"data": {"organization": {"samlIdentityProvider": None}}, "errors": [
            {"type": "FORBIDDEN", "path": ["organization", "samlIdentityProvider"],
             "message": "Resource not accessible by personal access token"}]})
    if not sim.config.saml:
        return JSONResponse({"data": {"organization": {"samlIdentityProvider": None}}})
    after = variables.get("after")
    offset = int(after.removeprefix("cursor:")) if isinstance(after, str) and after.startswith("cursor:") \
        and after.removeprefix("cursor:").isdigit() else 0
    people = sorted(sim.identities().items())
    size = sim.config.identities_page_size
    chunk = people[offset:offset + size]
    edges = [{"node": {"samlIdentity": {"nameId": email},
                       "user": {"login": _login(sim, user_id), "databaseId": user_id}}}
             for user_id, email in chunk]
    more = offset + size < len(people)
    identities: Any = {"pageInfo": {"hasNextPage": more, "endCursor": f"cursor:{offset + len(chunk)}"},
                       "edges": edges}
    if fault is not None and fault.mode == "malformed":
        identities = {"edges": "none"}
    return JSONResponse({"data": {"organization": {"samlIdentityProvider": {"externalIdentities": identities}}}})


def _login(sim: GithubSimulator, user_id: int) -> str:
    """The user's login today: a renamed user's SAML identity names the new one."""
    today = sim.config.now().date()
    return next(user.login_on(today) for user in sim.users if user.id == user_id)
