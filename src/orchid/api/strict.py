"""Text no route may receive: NUL characters and lone surrogates, anywhere in a JSON body or a
query string. They cannot be stored (PostgreSQL refuses NUL, UTF-8 cannot encode a lone
surrogate), passed to a process (execve ends an argument at NUL) or even echoed in an error, so
they are refused with 400 before any route sees them.

`StrictRoute` is the route class of every API router: it parses the JSON body once (FastAPI reuses
the parsed value), walks its strings, and checks the query parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from orchid.api.state import runtime_of
from orchid.domain.limits import bad_text
from orchid.errors import BadRequest

INVALID_TEXT = "INVALID_TEXT"


def check_json(value: Any, where: str = "body", *, nul: bool = True) -> None:
    """Raise BadRequest if any string (key or value) of a parsed JSON document is unacceptable."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            _check(item, at, nul=nul)
        elif isinstance(item, dict):
            for key, sub in item.items():
                _check(key, at, nul=nul)
                stack.append((sub, f"{at}.{_printable(key)}"))
        elif isinstance(item, list):
            stack.extend((sub, f"{at}[{i}]") for i, sub in enumerate(item))


def _printable(key: str) -> str:
    return key if bad_text(key) is None else "?"


def _check(text: str, where: str, *, nul: bool = True) -> None:
    problem = bad_text(text, nul=nul)
    if problem is not None:
        raise BadRequest(f"{where}: a text {problem}", INVALID_TEXT)


def _check_bulk(request: Request, parsed: Any) -> None:
    """Every bulk request is bounded, before its items are validated one by one."""
    items = parsed.get("items") if isinstance(parsed, dict) else None
    if isinstance(items, list):
        runtime_of(request.app).limits.check_bulk(len(items))


class StrictRoute(APIRoute):
    refuse_nul = True  # in the JSON body (query strings never may hold NUL)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # Only a route with a JSON body parameter reads its body whole; the others (upload
        # chunks) stream it and must not be buffered here.
        takes_json = self.body_field is not None

        async def strict(request: Request) -> Response:
            for key, value in request.query_params.multi_items():
                _check(key, "query")
                _check(value, f"query {_printable(key)}")
            if takes_json:
                body = await request.body()
                if body:
                    try:
                        parsed = json.loads(body)
                    except UnicodeDecodeError:
                        raise BadRequest(
                            "the request body is not valid UTF-8", "MALFORMED_JSON"
                        ) from None
                    except RecursionError:
                        raise BadRequest(
                            "the request body is nested too deeply", "MALFORMED_JSON"
                        ) from None
                    except ValueError:
                        parsed = _UNPARSED  # FastAPI answers MALFORMED_JSON itself
                    if parsed is not _UNPARSED:
                        check_json(parsed, nul=self.refuse_nul)
                        _check_bulk(request, parsed)
                        # Starlette's Request.json() returns this instead of parsing again.
                        request._json = parsed
            return await handler(request)

        return strict


_UNPARSED = object()


class FilesRoute(StrictRoute):
    """In a body, the files API refuses NUL itself, with the code of what holds it (INVALID_PATH,
    INVALID_NAME, INVALID_TITLE): only lone surrogates are refused here."""

    refuse_nul = False
