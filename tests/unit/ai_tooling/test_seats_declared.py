"""Seat lists on the provider seam: a provider declares `lists_seats` exactly when its client lists seats
(`ListsSeats`); Cursor's paid seats leave out removed members and free owners; the seat price is an optional
credential (empty is no price, a bad one is refused)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ListsSeats
from orgonaut.ai_tooling.providers.cursor import records as cursor_records
from orgonaut.errors import ValidationFailed
from tests.unit.ai_tooling.test_organisation_cost_declared import CREDENTIALS


@pytest.mark.parametrize("key", list(registry.PROVIDERS))
def test_the_declaration_says_whether_the_client_lists_seats(key):
    client = registry.create_provider(key, credentials=CREDENTIALS[key], api_base="http://127.0.0.1:9")
    assert isinstance(client, ListsSeats) == registry.PROVIDERS[key].lists_seats
    assert {k for k, info in registry.PROVIDERS.items() if info.lists_seats} == {"copilot", "cursor",
                                                                                   "claude_enterprise"}


def test_cursor_paid_seats_are_current_members_who_are_not_free_owners():
    members = cursor_records.parse_members(
        b'{"teamMembers":[{"email":"A@x.test","role":"owner"},{"email":"b@x.test","role":"member"},'
        b'{"email":"c@x.test","role":"free-owner"},{"email":"d@x.test","role":"member","isRemoved":true},'
        b'{"name":"no e-mail","role":"member"}]}')
    listed = cursor_records.seats(members, Decimal("4000"))
    assert [(s.source, s.label, s.plan, s.monthly_price_cents) for s in listed] == [
        ("a@x.test", "A@x.test", "Cursor", Decimal("4000")), ("b@x.test", "b@x.test", "Cursor", Decimal("4000"))]


@pytest.mark.parametrize("key", ["cursor", "claude_enterprise"])
def test_the_seat_price_is_optional_and_checked_when_given(key):
    info = registry.PROVIDERS[key]
    [price] = [f for f in info.credentials if f.name == "seat_usd"]
    assert not price.required and price.clean("  ") == "" and price.clean("40") == "40"
    with pytest.raises(ValidationFailed, match="positive amount"):
        price.clean("-3")
    assert registry.create_provider(key, credentials={**CREDENTIALS[key], "seat_usd": "39.5"},
                                    api_base="http://127.0.0.1:9").seat_price_cents == Decimal("3950.0")
