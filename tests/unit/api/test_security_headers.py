"""The security-header wrapper adds its headers to every HTTP answer, keeping a header the app set itself."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from orgonaut.api.security_headers import CONTENT_SECURITY_POLICY, with_security_headers


def _app():
    async def plain(request):
        return PlainTextResponse("ok")

    async def framed(request):
        return PlainTextResponse("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    return Starlette(routes=[Route("/plain", plain), Route("/framed", framed)])


def test_every_answer_gets_the_headers_and_an_apps_own_header_wins():
    client = TestClient(with_security_headers(_app()))
    plain = client.get("/plain")
    assert plain.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (plain.headers["x-frame-options"], plain.headers["x-content-type-options"]) == ("DENY", "nosniff")
    assert client.get("/missing").headers["x-frame-options"] == "DENY"  # errors too
    assert client.get("/framed").headers.get_list("x-frame-options") == ["SAMEORIGIN"]
