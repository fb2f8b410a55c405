"""One root error and a shallow tree by who must act. Each carries its HTTP status and errorCode."""

from __future__ import annotations


class OrchidError(Exception):
    status_code = 500
    error_code = "INTERNAL_ERROR"

    def __init__(self, why: str, error_code: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        if error_code is not None:
            self.error_code = error_code


class BadRequest(OrchidError):
    status_code = 400
    error_code = "BAD_REQUEST"


class Unauthorized(OrchidError):
    status_code = 401
    error_code = "UNAUTHORIZED"


class NotFound(OrchidError):
    status_code = 404
    error_code = "NOT_FOUND"


class Conflict(OrchidError):
    status_code = 409
    error_code = "CONFLICT"


class InvalidTransition(Conflict):
    error_code = "INVALID_TRANSITION"


class NotSupported(BadRequest):
    error_code = "NOT_SUPPORTED"


class ProviderError(OrchidError):
    """The provider failed. Transient errors (scheduler unreachable) answer 503, permanent ones 502."""

    status_code = 502
    error_code = "PROVIDER_ERROR"

    def __init__(self, why: str, *, transient: bool = False, error_code: str | None = None) -> None:
        super().__init__(why, error_code)
        self.transient = transient
        if transient:
            self.status_code = 503
            if error_code is None:
                self.error_code = "PROVIDER_UNAVAILABLE"


class Forbidden(OrchidError):
    status_code = 403
    error_code = "FORBIDDEN"


class TooLarge(OrchidError):
    """More data than Orchid accepts: a request body, a quota, a full disk."""

    status_code = 413
    error_code = "TOO_LARGE"


class StorageFull(OrchidError):
    """The server's own storage (its database) has no room left: nothing was written."""

    status_code = 507
    error_code = "DISK_FULL"


class TooManyRequests(OrchidError):
    """Over a per-user limit. `retry_after` (seconds) is sent as Retry-After when known."""

    status_code = 429
    error_code = "TOO_MANY_REQUESTS"

    def __init__(self, why: str, error_code: str | None = None, retry_after: int | None = None):
        super().__init__(why, error_code)
        self.retry_after = retry_after
