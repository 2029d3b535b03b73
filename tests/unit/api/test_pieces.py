"""Small pieces of the API without a database: cursors, money, secrets, error parameters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orgonaut.api.errors import _param_of
from orgonaut.api.schemas import exact_cents, whole_cents
from orgonaut.api.usage import Cursor, decode_cursor, encode_cursor
from orgonaut.tenancy import tokens


@pytest.mark.parametrize("cursor", [Cursor(dt.date(2026, 11, 18), 1), Cursor(dt.date(1, 1, 1), 2**63 - 1),
                                    Cursor(dt.date(9999, 12, 31), 42)])
def test_a_cursor_survives_the_round_trip_and_is_url_safe(cursor):
    text = encode_cursor(cursor)
    assert decode_cursor(text) == cursor
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("text", ["", "x", "bm9wZQ", encode_cursor(Cursor(dt.date(2026, 1, 1), 5)) + "A",
                                  "MjAyNi0wMS0wMTow", "MjAyNi0wMS0wMToy\n", "MjAyNi0xMy0wMToy", "MjAyNi0wMS0wMTotMQ",
                                  "MjAyNi0wMS0wMTo5MjIzMzcyMDM2ODU0Nzc1ODA4"])
def test_anything_else_is_not_a_cursor(text):
    with pytest.raises(ValueError):
        decode_cursor(text)


@pytest.mark.parametrize(
    ("exact", "whole", "text"),
    [("0", 0, "0.000000"), ("0.5", 1, "0.500000"), ("0.499999", 0, "0.499999"), ("2.5", 3, "2.500000"),
     ("-2.5", -3, "-2.500000"), ("199.9999995", 200, "200.000000"), ("12345678.123456", 12345678, "12345678.123456")],
)
def test_money_is_rounded_half_up_to_whole_cents(exact, whole, text):
    assert whole_cents(Decimal(exact)) == whole
    assert exact_cents(Decimal(exact)) == text


def test_secrets_are_long_random_and_recognisable():
    secrets = {tokens.generate_secret() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert tokens.looks_like_secret(secret)
        assert len(tokens.hash_secret(secret)) == 64
    assert not tokens.looks_like_secret("ogt_" + "a" * 42)
    assert not tokens.looks_like_secret("ogt_" + "a" * 44)
    assert not tokens.looks_like_secret("ogx_" + "a" * 43)
    assert not tokens.looks_like_secret("ogt_" + "a" * 42 + "-")
    assert tokens.display_prefix("AbCdEfGh") == "ogt_AbCdEfGh…"


@pytest.mark.parametrize(
    ("location", "param"),
    [(("query", "limit"), "limit"), (("path", "id"), "id"), (("header", "X-Tenant"), "X-Tenant"), (("body",), None),
     ((), None)],
)
def test_validation_errors_name_their_parameter(location, param):
    assert _param_of(location) == param
