"""UCloud's API always speaks JSON and ignores Content-Type (its own docs send a malformed one:
`Content-Type: content-type: application/json; charset=utf-8`). This middleware makes every
request body under /api/ parse as JSON, whatever the client declared."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

_JSON = (b"content-type", b"application/json")


class JsonBodies:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith("/api/")
            and scope["method"] != "GET"
        ):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            scope = dict(scope, headers=[*headers, _JSON])
        await self.app(scope, receive, send)
