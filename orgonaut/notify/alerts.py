"""Reactions to integration health transitions: in-app notifications and e-mail alerts."""

from __future__ import annotations

from typing import Any


def on_health_transition(*, session: Any, integration: Any, previous: str, current: str) -> None:
    """Called by the health state machine inside the transaction that changed the status."""
    # Implemented by the health and alerts issue (#8).
    return None
