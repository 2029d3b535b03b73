"""JSON nested deeper than a decoder goes (a broken or hostile endpoint) is a malformed answer, for test
connection, the usage fetch and the error body alike, never an escaping RecursionError (security
review, finding 10). respx stands in for the vendor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
import respx

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError
from orgonaut.ai_tooling.providers.claude_code.client import ORGANIZATION_PATH, USAGE_REPORT_PATH, ClaudeCodeProvider
from orgonaut.ai_tooling.providers.codex.client import USAGE_PATH, CodexProvider
from orgonaut.ai_tooling.providers.cursor.client import DAILY_USAGE_PATH, MEMBERS_PATH, CursorProvider

BASE = "https://vendor.test"
DEEP = b"[" * 50_000 + b"]" * 50_000  # 100 KB, under every size limit


def _in_object(value: bytes) -> bytes:
    return b'{"data": [], "has_more": false, "teamMembers": [], "junk": ' + value + b"}"


def _providers():
    return [
        (ClaudeCodeProvider("sk-ant-admin01-x", BASE, sleep=lambda s: None), ORGANIZATION_PATH, USAGE_REPORT_PATH),
        (CursorProvider("key_x", BASE, sleep=lambda s: None), MEMBERS_PATH, DAILY_USAGE_PATH),
        (CodexProvider("ws_1", "sk-x", Decimal("0.04"), BASE, sleep=lambda s: None),
         CODEX_USAGE_PATH, CODEX_USAGE_PATH),  # its connection test reads the usage too
    ]


CODEX_USAGE_PATH = USAGE_PATH.format(workspace_id="ws_1")


@pytest.mark.parametrize("index", [0, 1, 2], ids=["claude_code", "cursor", "codex"])
@respx.mock
def test_deeply_nested_answers_are_malformed(index):
    provider, connection_path, usage_path = _providers()[index]
    respx.get(f"{BASE}{connection_path}").mock(return_value=httpx.Response(200, content=_in_object(DEEP)))
    respx.route(url=f"{BASE}{usage_path}").mock(return_value=httpx.Response(200, content=_in_object(DEEP)))
    with pytest.raises(ProviderError) as connection:
        provider.test_connection()
    assert connection.value.kind == ErrorKind.malformed and "nested too deeply" in str(connection.value)
    with pytest.raises(ProviderError) as fetch:
        provider.fetch_days(dt.date(2025, 8, 8), dt.date(2025, 8, 8))
    assert fetch.value.kind == ErrorKind.malformed


@pytest.mark.parametrize("index", [0, 1, 2], ids=["claude_code", "cursor", "codex"])
@respx.mock
def test_a_deeply_nested_error_body_still_gives_the_status_sentence(index):
    provider, connection_path, _ = _providers()[index]
    respx.get(f"{BASE}{connection_path}").mock(return_value=httpx.Response(400, content=_in_object(DEEP)))
    with pytest.raises(ProviderError) as raised:
        provider.test_connection()
    assert "400" in str(raised.value)
