"""Security headers on pages and API answers, and a WebSocket that only the app's own pages may open
(security review, findings 1 and 8)."""

from __future__ import annotations

import base64
import http.client
import os
import urllib.request
from urllib.parse import urlparse

from orgonaut.api.security_headers import CONTENT_SECURITY_POLICY


def _headers(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return {name.lower(): value for name, value in response.headers.items()}


def test_pages_and_api_answers_carry_the_security_headers(base_url: str):
    for path in ("/login", "/api/v1/openapi.json", "/favicon.ico"):
        headers = _headers(base_url + path)
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "strict-transport-security" not in headers  # the test app is http


def _websocket_handshake(base_url: str, origin: str) -> int:
    """The status of a WebSocket upgrade of the app's event socket, sent from `origin`."""
    url = urlparse(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("GET", "/_event/?EIO=4&transport=websocket", headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Origin": origin,
    })
    status = connection.getresponse().status
    connection.close()
    return status


def test_only_the_apps_own_pages_may_open_its_websocket(base_url: str):
    assert _websocket_handshake(base_url, base_url) == 101
    assert _websocket_handshake(base_url, "https://evil.example") != 101
