"""Guards in front of the routes, at the ASGI level: they act before a request body is read.

- A body under /api/ larger than `max_body_bytes` is refused with 413: at once when its
  Content-Length says so, and otherwise as soon as the bytes received pass the bound (the rest is
  never buffered).
- A request under /api/ that carries a body but no `Authorization` header is refused with 401
  before its body is read or parsed.

Routes with their own authorisation and bound (the upload chunks) are left alone.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Their own token (Chunked-Upload-Token, a download token) and their own size bound.
_OWN_RULES = ("/api/files/upload/chunked", "/api/files/download")


class _TooLarge(Exception):
    pass


async def _answer(
    send: Send, status: int, why: str, code: str, extra: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps({"why": why, "errorCode": code}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestGuards:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith("/api/")
            or path.startswith(_OWN_RULES)
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self.max_body_bytes
        too_large = f"the request body is larger than {limit} bytes (setting max_body_bytes)"
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await _answer(send, 400, "invalid Content-Length", "BAD_REQUEST", [])
                return
            if int(length) > limit:
                await _answer(
                    send, 413, too_large, "REQUEST_TOO_LARGE", [(b"connection", b"close")]
                )
                return
        has_body = (length is not None and int(length) > 0) or b"transfer-encoding" in headers
        if has_body and b"authorization" not in headers:
            await _answer(
                send,
                401,
                "this call needs Authorization: Bearer <token>",
                "UNAUTHORIZED",
                [(b"www-authenticate", b"Bearer")],
            )
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # Whatever the route made of the interrupted body, the answer is 413.
                if not started:
                    started = True
                    await _answer(
                        send, 413, too_large, "REQUEST_TOO_LARGE", [(b"connection", b"close")]
                    )
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            if not started:
                started = True
                await _answer(
                    send, 413, too_large, "REQUEST_TOO_LARGE", [(b"connection", b"close")]
                )
