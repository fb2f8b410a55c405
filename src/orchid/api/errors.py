"""One handler registry: every error leaves as {"why", "errorCode"} with a 4xx/5xx status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from orchid.errors import OrchidError, TooManyRequests

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


# The errorCode of a field whose pattern is not met, where it has one of its own.
_PATTERN_CODES = {
    "next": "INVALID_NEXT",
    "filterIds": "INVALID_FILTER",
    "filterProviderIds": "INVALID_FILTER",
}


def error_body(why: str, code: str | None) -> dict[str, str | None]:
    return {"why": why, "errorCode": code}


def describe_validation(errors: list[dict[str, object]] | list[object]) -> tuple[str, str]:
    """A one-line `why` naming the offending field(s), and an errorCode."""
    parts = []
    code = "INVALID_REQUEST"
    for err in errors[:5]:
        if not isinstance(err, dict):
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query")]
        kind = str(err.get("type", ""))
        if kind == "json_invalid":
            return "the request body is not valid JSON", "MALFORMED_JSON"
        if kind == "missing":
            code = "MISSING_FIELD"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] in _PATTERN_CODES:
            code = _PATTERN_CODES[loc[-1]]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request", code


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods:
            # Asked with a method the route serves, a route on this path matches fully.
            match, _ = route.matches({**request.scope, "method": next(iter(route.methods))})
            if match == Match.FULL:
                methods |= route.methods
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(OrchidError)
    async def _orchid(_: Request, exc: OrchidError) -> JSONResponse:
        headers = {}
        if isinstance(exc, TooManyRequests) and exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(
            error_body(exc.why, exc.error_code), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        why, code = describe_validation(list(exc.errors()))
        return JSONResponse(error_body(why, code), status_code=400)

    @app.exception_handler(ValidationError)
    async def _invalid_model(_: Request, exc: ValidationError) -> JSONResponse:
        why, code = describe_validation(list(exc.errors()))  # type: ignore[arg-type]
        return JSONResponse(error_body(why, code), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(
            error_body(str(exc.detail), code), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal server error", "INTERNAL_ERROR"), status_code=500)
