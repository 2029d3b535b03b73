"""Every kind of error an integration or one of its runs can record, with the label people read.

One enum for all of them: the providers' (a vendor's answer), the sync engine's and the connection
test's. Stored as its value in `integrations.last_error_kind` and in a run's diagnostics.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    # What a provider call can end with.
    invalid_key = "invalid_key"  # 401
    missing_permission = "missing_permission"  # 403
    unavailable = "unavailable"  # 5xx / 529 after retries, network errors, timeouts
    rate_limited = "rate_limited"  # 429 after retries
    malformed = "malformed"  # a response that does not have the documented shape
    bad_request = "bad_request"  # other 4xx
    # Ours.
    credentials = "credentials"  # the stored credentials cannot be opened (a rotated-away secret key)
    plan_unavailable = "plan_unavailable"  # the tenant's plan no longer includes the feature
    busy = "busy"  # a run that waited behind another one for too long
    internal = "internal"  # a bug or an unexpected failure on our side; the worker log has the rest

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ErrorKind.invalid_key: "Invalid or revoked API key",
    ErrorKind.missing_permission: "Missing permission",
    ErrorKind.unavailable: "Provider unavailable",
    ErrorKind.rate_limited: "Rate limited",
    ErrorKind.malformed: "Malformed response",
    ErrorKind.bad_request: "Request rejected",
    ErrorKind.credentials: "Stored credentials unreadable",
    ErrorKind.plan_unavailable: "Not included in plan",
    ErrorKind.busy: "Another run was in progress",
    ErrorKind.internal: "Internal error",
}


def error_kind_label(kind: str | None) -> str:
    """The label of a stored kind; an unknown one (from an older release) is shown as stored."""
    if not kind:
        return ""
    try:
        return ErrorKind(kind).label
    except ValueError:
        return kind
