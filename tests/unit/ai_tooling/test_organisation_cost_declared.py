"""A provider declares `reports_organisation_cost` exactly when its client reads the vendor's bill
(`ReportsOrganisationCost`): the reconciliation page offers those connections and no other; Cursor's bill
is its current billing cycle only (`BillPeriod.current_cycle`)."""

from __future__ import annotations

import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ReportsOrganisationCost
from orgonaut.ai_tooling.providers.declaration import BillPeriod

CREDENTIALS = {
    "claude_code": {"api_key": "sk-ant-admin01-x"},
    "cursor": {"api_key": "key_x"},
    "codex": {"workspace_id": "ws", "api_key": "sk-x", "usd_per_credit": "0.04"},
    "copilot": {"kind": "organization", "owner": "acme", "token": "ghp_x", "business_seat_usd": "19",
                "enterprise_seat_usd": "39"},
    "claude_enterprise": {"api_key": "sk-ant-api01-x"},
}


@pytest.mark.parametrize("key", list(registry.PROVIDERS))
def test_the_declaration_says_what_the_client_does(key):
    client = registry.create_provider(key, credentials=CREDENTIALS[key], api_base="http://127.0.0.1:9")
    assert isinstance(client, ReportsOrganisationCost) == registry.PROVIDERS[key].reports_organisation_cost


def test_every_provider_but_codex_reads_its_bill_and_only_cursor_just_its_current_cycle():
    assert {key for key, info in registry.PROVIDERS.items() if info.reports_organisation_cost} == {
        "claude_code", "claude_enterprise", "copilot", "cursor"}
    assert {key for key, info in registry.PROVIDERS.items() if info.bill_period is BillPeriod.current_cycle} == {
        "cursor"}
