"""The secret box: sealed format, key ids, refusal to open what a configured key did not seal."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from orgonaut.integrations import secrets
from orgonaut.settings import get_settings, reset_settings_cache

PLAIN = "sk-ant-admin01-a-very-distinctive-plaintext-42"


@pytest.fixture
def keys(monkeypatch):
    """Sets ORGONAUT_SECRET_KEYS for the test (newest first) and restores the run's keys after."""

    def use(*values: str) -> None:
        monkeypatch.setenv("ORGONAUT_SECRET_KEYS", ",".join(values))
        reset_settings_cache()

    yield use
    monkeypatch.undo()
    reset_settings_cache()


def test_a_sealed_value_names_its_key_by_id_and_opens_again():
    sealed = secrets.seal(PLAIN)
    prefix, key_id, token = sealed.split(":", 2)
    newest = get_settings().fernet_keys()[0]
    assert (prefix, key_id) == ("fernet", secrets.key_id(newest))
    assert newest not in sealed and PLAIN not in sealed and PLAIN not in token
    assert len(key_id) == 10 and key_id not in newest
    assert secrets.open(sealed) == PLAIN
    assert secrets.seal(PLAIN) != sealed  # Fernet tokens carry a random IV


def test_config_round_trips_as_json():
    assert secrets.open_config(secrets.seal_config({"api_key": PLAIN})) == {"api_key": PLAIN}


def test_an_older_key_still_opens_while_it_is_listed(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    sealed = secrets.seal(PLAIN)
    keys(new, old)
    assert secrets.open(sealed) == PLAIN
    assert secrets.sealed_key_id(secrets.seal(PLAIN)) == secrets.key_id(new)


def test_a_value_no_configured_key_opens_raises_a_clear_error_without_secrets(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    sealed = secrets.seal(PLAIN)
    keys(new)
    with pytest.raises(secrets.SecretError) as raised:
        secrets.open(sealed)
    message = str(raised.value)
    assert secrets.key_id(old) in message and secrets.key_id(new) in message
    assert old not in message and new not in message and PLAIN not in message


@pytest.mark.parametrize("value", ["", PLAIN, "fernet:abc", "fernet::token", "aes:abc:token"])
def test_raw_or_foreign_values_are_refused_never_read_as_plain_text(value):
    with pytest.raises(secrets.SecretError, match="not a sealed value"):
        secrets.open(value)


def test_a_tampered_token_is_refused():
    prefix, key_id, token = secrets.seal(PLAIN).split(":", 2)
    tampered = f"{prefix}:{key_id}:{token[:-6]}AAAAAA"
    with pytest.raises(secrets.SecretError, match="does not open them"):
        secrets.open(tampered)


def test_a_malformed_configured_key_is_reported_by_id_only(keys):
    keys("not-a-fernet-key")
    with pytest.raises(secrets.SecretError, match="not a Fernet key") as raised:
        secrets.seal(PLAIN)
    assert "not-a-fernet-key" not in str(raised.value)
