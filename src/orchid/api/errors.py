"""One handler registry: every error leaves as {"why", "errorCode"} with a 4xx/5xx status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from orchid.errors import OrchidError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
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
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request", code


def install(app: FastAPI) -> None:
    @app.exception_handler(OrchidError)
    async def _orchid(_: Request, exc: OrchidError) -> JSONResponse:
        return JSONResponse(error_body(exc.why, exc.error_code), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        why, code = describe_validation(list(exc.errors()))
        return JSONResponse(error_body(why, code), status_code=400)

    @app.exception_handler(ValidationError)
    async def _invalid_model(_: Request, exc: ValidationError) -> JSONResponse:
        why, code = describe_validation(list(exc.errors()))  # type: ignore[arg-type]
        return JSONResponse(error_body(why, code), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        return JSONResponse(
            error_body(str(exc.detail), code), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal server error", "INTERNAL_ERROR"), status_code=500)
