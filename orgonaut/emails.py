"""E-mail addresses: the one normalisation (trimmed, lower-case) and the one shape check.

Usage records match people by e-mail (`orgonaut.ai_tooling.matching`), so the addresses stored for
users and actors and the ones read from providers must be normalised by this one function.
"""

from __future__ import annotations

import re

# Deliberately loose: something@domain.tld without spaces; the mail server is the real judge.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def looks_like_email(address: str) -> bool:
    """True when the (normalised) address has the shape of an e-mail address."""
    return EMAIL_RE.match(address) is not None
