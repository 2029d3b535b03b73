"""The secret box: provider credentials sealed with Fernet, keys from ORGONAUT_SECRET_KEYS.

A sealed value reads `fernet:<key id>:<token>`. The key id is a short hash of the key that sealed
it (never the key), so an operator can tell which key a row needs and rotation is a re-encrypt in
place. Opening tries every configured key (MultiFernet), newest first. A value that does not open
raises `SecretError`; there is no fallback to reading it as plain text.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import Session, col, select

from orgonaut.integrations.models import Integration
from orgonaut.settings import get_settings

PREFIX = "fernet"


class SecretError(Exception):
    """A sealed value could not be opened. The message names the key id, never a key or plaintext."""


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def _keys() -> list[str]:
    keys = get_settings().fernet_keys()
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError:
            # The key itself must not reach the message.
            raise SecretError(
                f"ORGONAUT_SECRET_KEYS holds a value (id {key_id(key)}) that is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None
    return keys


def newest_key() -> str:
    return _keys()[0]


def seal(plaintext: str) -> str:
    newest = newest_key()
    token = Fernet(newest.encode()).encrypt(plaintext.encode()).decode()
    return f"{PREFIX}:{key_id(newest)}:{token}"


def _split(sealed: str) -> tuple[str, str]:
    parts = (sealed or "").split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise SecretError("The stored credentials are not a sealed value (expected 'fernet:<key id>:<token>').")
    return parts[1], parts[2]


def open(sealed: str) -> str:  # noqa: A001 - the box's verb; callers use secrets.open(...)
    sealed_with, token = _split(sealed)
    keys = _keys()
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys]).decrypt(token.encode()).decode()
    except InvalidToken:
        known = ", ".join(key_id(k) for k in keys)
        raise SecretError(
            f"The stored credentials were sealed with key id {sealed_with}, which does not open them with "
            f"the configured ORGONAUT_SECRET_KEYS (ids {known}). Add the old key back to the list."
        ) from None


def sealed_key_id(sealed: str) -> str:
    return _split(sealed)[0]


def seal_config(config: dict[str, Any]) -> str:
    return seal(json.dumps(config, sort_keys=True))


def open_config(sealed: str) -> dict[str, Any]:
    try:
        config = json.loads(open(sealed))
    except json.JSONDecodeError:
        raise SecretError("The stored credentials opened but are not a JSON object.") from None
    if not isinstance(config, dict):
        raise SecretError("The stored credentials opened but are not a JSON object.")
    return config


def rotate(*, session: Session) -> int:
    """Re-seals every stored integration config with the newest key. Returns how many changed.

    Values already under the newest key are left alone, so a rerun after a crash is harmless. The
    caller commits.
    """
    newest = key_id(newest_key())
    changed = 0
    rows = session.exec(select(Integration).where(col(Integration.config_encrypted).is_not(None)))
    for integration in rows:
        assert integration.config_encrypted is not None
        if sealed_key_id(integration.config_encrypted) == newest:
            continue
        integration.config_encrypted = seal(open(integration.config_encrypted))
        session.add(integration)
        changed += 1
    session.flush()
    return changed
