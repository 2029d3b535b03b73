"""Domain errors. Services raise them; the edges turn them into a message or a status code."""


class DomainError(Exception):
    """A rule was broken. The message is safe to show to the user."""

    code = "invalid"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class ReadOnlyScope(DomainError):
    code = "read_only"


class ValidationFailed(DomainError):
    code = "validation"


class RateLimited(DomainError):
    code = "rate_limited"
