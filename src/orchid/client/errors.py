"""Everything the SDK raises, under one root: `OrchidClientError`.

- `ApiError` (and a subclass per status) when the server answered with an error: it carries the
  server's `why` and `error_code` (`errorCode` on the wire) and the HTTP `status`.
- `Unreachable` when no answer came back at all (refused, DNS, TLS, timeout).
- `ProtocolError` when something answered that does not speak Orchid's API (a wrong URL).
- `StreamBroken` when a follow stream ended before the job reached a final state.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from orchid.schemas.base import CommonErrorMessage


class OrchidClientError(Exception):
    """The root of every exception the SDK raises on purpose."""


class ApiError(OrchidClientError):
    """The server refused the request. `why` is for people, `error_code` is stable for code."""

    def __init__(self, status: int, why: str, error_code: str | None) -> None:
        super().__init__(why)
        self.status = status
        self.why = why
        self.error_code = error_code

    def __str__(self) -> str:
        return self.why


class BadRequestError(ApiError):
    """400: the request itself is wrong (unknown application, bad parameter, ...)."""


class AuthenticationError(ApiError):
    """401: no token, or a token the server does not know."""


class PermissionDeniedError(ApiError):
    """403: the token is valid but may not do this."""


class NotFoundError(ApiError):
    """404: no such job (or application) for this user."""


class ConflictError(ApiError):
    """409: the request conflicts with the current state (e.g. DUPLICATE_JOB)."""


class ServerError(ApiError):
    """5xx: the server or its provider failed."""


class Unreachable(OrchidClientError):
    """No answer from the server: connection refused, name not resolved, TLS failure, timeout."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach Orchid at {url}: {reason}")
        self.url = url
        self.reason = reason


class ProtocolError(OrchidClientError):
    """The answer was not what Orchid's API sends (probably a URL that is not an Orchid server)."""


class StreamBroken(OrchidClientError):
    """A follow stream ended before the job's final state: the job may well still be running."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"lost the follow stream of job {job_id} before it ended: {reason}")
        self.job_id = job_id
        self.reason = reason


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}


def api_error(status: int, body: object) -> ApiError:
    """The typed exception for an error `status` whose decoded JSON body is `body`."""
    try:
        message = CommonErrorMessage.model_validate(body)
        why, code = message.why, message.error_code
    except ValidationError:
        why, code = f"the server answered with status {status}", None
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return cls(status, why, code or None)


def error_from_http(status: int, content: bytes) -> ApiError:
    """The typed exception for an HTTP error answer with raw body `content`."""
    try:
        body: object = json.loads(content)
    except ValueError:
        body = None
    return api_error(status, body)
