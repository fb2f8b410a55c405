"""The web session proxy (decision 13): /sessions/<job>/<rank>/... on Orchid, to the replica.

The session URL carries its token once, as `?orchid-session=<token>`: the proxy checks it, keeps
it in a cookie scoped to the session's path (HttpOnly) and redirects to the same URL without it,
so neither the address bar nor the application sees it again. Every later request (and WebSocket)
brings the cookie; a client without cookies may send the query parameter on every request.

Requests go to the replica unchanged (method, path, query, body streamed both ways, WebSocket
frames), except that Orchid's session cookie and any Authorization header are removed, so the
user's Orchid credentials never reach the application. The job is re-read on every request and
open WebSockets are closed when it ends: the session lives exactly as long as the job runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import websockets
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from orchid.api.errors import error_body
from orchid.api.state import runtime_of
from orchid.domain.sessions import WEB_PREFIX, WebTarget, web_base_path
from orchid.errors import NotFound, OrchidError, ProviderError
from orchid.service.sessions import Sessions

log = logging.getLogger(__name__)

TOKEN_PARAM = "orchid-session"
COOKIE = "orchid-session"
# Hop-by-hop headers (RFC 9110 7.6.1) and what the proxy sets itself.
_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
}
_REQUEST_DROP = _HOP | {b"authorization", b"cookie", b"x-forwarded-for", b"x-forwarded-proto"}
# What websockets sets itself on the upstream handshake.
_WS_DROP = _REQUEST_DROP | {
    b"host",
    b"sec-websocket-key",
    b"sec-websocket-version",
    b"sec-websocket-extensions",
    b"sec-websocket-protocol",
}


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The proxy's HTTP client is shared by every session: it must never keep a cookie an
    application sets (the browser keeps it) nor add one to a later request."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


class _Session:
    """A request for /sessions/<job>/<rank>/..., parsed."""

    def __init__(self, job_id: str, rank: int, token: str | None, from_query: bool) -> None:
        self.job_id = job_id
        self.rank = rank
        self.token = token
        self.from_query = from_query


def _parse(scope: Scope) -> tuple[str, int] | None:
    parts = scope["path"][len(WEB_PREFIX) + 1 :].split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1].isdigit() or len(parts[1]) > 7:
        return None
    return parts[0], int(parts[1])


def _cookie_token(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, list[str]]:
    """Orchid's session cookie, and the other cookies (for the application)."""
    token = None
    others: list[str] = []
    for name, value in headers:
        if name != b"cookie":
            continue
        for pair in value.decode("latin-1").split(";"):
            key, _, val = pair.strip().partition("=")
            if key == COOKIE:
                token = val
            elif pair.strip():
                others.append(pair.strip())
    return token, others


def _query_without_token(query: bytes) -> tuple[str | None, str]:
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    token = next((v for k, v in pairs if k == TOKEN_PARAM), None)
    if token is None:
        return None, query.decode("latin-1")
    return token, urlencode([(k, v) for k, v in pairs if k != TOKEN_PARAM])


async def _json(send: Send, status: int, why: str, code: str | None, **extra: Any) -> None:
    body = json.dumps(error_body(why, code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += extra.get("headers", [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SessionProxy:
    """ASGI middleware: serves /sessions/... itself and passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or not scope["path"].startswith(WEB_PREFIX + "/"):
            if scope["type"] == "lifespan":
                await self.app(scope, receive, self._closing(send))
            else:
                await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self._websocket(scope, receive, send)

    def _closing(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete" and self._client is not None:
                await self._client.aclose()
                self._client = None
            await send(message)

        return wrapped

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(connect=10.0, read=None, write=None, pool=10.0),
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
                follow_redirects=False,
                trust_env=False,
                cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
            )
        return self._client

    # ---- resolving the session ----

    async def _target(
        self, scope: Scope, sessions: Sessions
    ) -> tuple[_Session, WebTarget, str, list[str]]:
        """The session a request belongs to and where it goes; the query and cookies without
        Orchid's token. Raises NotFound, SessionEnded or ProviderError."""
        parsed = _parse(scope)
        if parsed is None:
            raise NotFound("unknown session; open it again from the job", "UNKNOWN_SESSION")
        job_id, rank = parsed
        query_token, query = _query_without_token(scope.get("query_string", b""))
        cookie_token, cookies = _cookie_token(scope["headers"])
        token = query_token or cookie_token
        if token is None:
            raise NotFound("unknown session; open it again from the job", "UNKNOWN_SESSION")
        session = _Session(job_id, rank, token, from_query=query_token is not None)
        target = await sessions.web_target(job_id, rank, token)
        return session, target, query, cookies

    # ---- HTTP ----

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        sessions: Sessions = runtime_of(scope["app"]).sessions
        try:
            session, target, query, cookies = await self._target(scope, sessions)
        except OrchidError as error:
            await _json(send, error.status_code, error.why, error.error_code)
            return
        base = web_base_path(session.job_id, session.rank)
        if session.from_query and scope["method"] in ("GET", "HEAD"):
            # Keep the token in a cookie and show the application a clean URL.
            path = scope["path"] if scope["path"] != base.rstrip("/") else base
            location = f"{path}?{query}" if query else path
            secure = "; Secure" if scope.get("scheme") == "https" else ""
            cookie = f"{COOKIE}={session.token}; Path={base}; HttpOnly; SameSite=Lax{secure}"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode("latin-1")),
                        (b"set-cookie", cookie.encode("latin-1")),
                        (b"cache-control", b"no-store"),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["path"] == base.rstrip("/"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 308,
                    "headers": [(b"location", base.encode()), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await self._forward(scope, receive, send, target, query, cookies)

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        target: WebTarget,
        query: str,
        cookies: list[str],
    ) -> None:
        headers = _upstream_headers(scope, cookies, _REQUEST_DROP)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        url = f"http://{target.host}:{target.port}{raw_path.decode('latin-1')}"
        if query:
            url += f"?{query}"
        has_body = any(k in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])
        disconnected = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    disconnected.set()
                    raise ConnectionResetError("the client went away during the upload")
                chunk = message.get("body", b"")
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    return

        request = self.client.build_request(
            scope["method"],
            url,
            headers=headers,
            content=body() if has_body else None,
        )
        try:
            response = await self.client.send(request, stream=True)
        except (httpx.HTTPError, ConnectionResetError) as error:
            if disconnected.is_set():
                return
            log.info("session %s: the application does not answer: %s", scope["path"], error)
            await _json(
                send,
                502,
                f"the application does not answer on port {target.port}: {type(error).__name__}",
                "SESSION_UNREACHABLE",
            )
            return
        try:
            await self._relay(response, receive, send)
        finally:
            await response.aclose()

    async def _relay(self, response: httpx.Response, receive: Receive, send: Send) -> None:
        out = [
            (k.lower(), v)
            for k, v in response.headers.raw
            if k.lower() not in _HOP and k.lower() != b"content-length"
        ]
        length = response.headers.get("content-length")
        if length is not None:
            out.append((b"content-length", length.encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})

        async def stream() -> None:
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

        async def gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        streaming = asyncio.create_task(stream())
        watching = asyncio.create_task(gone())
        try:
            done, _ = await asyncio.wait({streaming, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streaming, watching):
                task.cancel()
            for task in (streaming, watching):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if streaming in done and (error := streaming.exception()) is not None:
            log.info("session response cut short: %s", error)
        elif watching in done:
            log.info("session client disconnected during the response")

    # ---- WebSocket ----

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        sessions: Sessions = runtime_of(scope["app"]).sessions
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        try:
            session, target, query, cookies = await self._target(scope, sessions)
        except OrchidError as error:
            await _deny(scope, send, error)
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        # The URI names the host the client asked for, as the Host header of forwarded HTTP
        # requests does: applications that compare Origin with Host (Jupyter) then see the
        # browser's own pair. The connection itself goes to the target (host=, port=).
        host = _host_header(scope) or f"{target.host}:{target.port}"
        uri = f"ws://{host}{raw_path}" + (f"?{query}" if query else "")
        headers = _upstream_headers(scope, cookies, _WS_DROP)
        try:
            upstream = await ws_connect(
                uri,
                host=target.host,
                port=target.port,
                proxy=None,
                additional_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
                subprotocols=scope.get("subprotocols") or None,
                origin=None,
                compression=None,
                max_size=None,
                open_timeout=10,
                ping_interval=None,
                user_agent_header=None,
            )
        except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as error:
            log.info("session %s: WebSocket to the application failed: %s", scope["path"], error)
            await _deny(
                scope,
                send,
                ProviderError(
                    f"the application does not answer on port {target.port}",
                    error_code="SESSION_UNREACHABLE",
                ),
            )
            return
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
        await _pump(scope, receive, send, upstream, sessions.wait_until_ended(session.job_id))


async def _pump(
    scope: Scope,
    receive: Receive,
    send: Send,
    upstream: ClientConnection,
    ended: Any,
) -> None:
    async def to_app() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                await upstream.close(message.get("code", 1000))
                return
            if message.get("text") is not None:
                await upstream.send(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])

    async def to_client() -> None:
        try:
            async for frame in upstream:
                if isinstance(frame, str):
                    await send({"type": "websocket.send", "text": frame})
                else:
                    await send({"type": "websocket.send", "bytes": frame})
        except websockets.exceptions.ConnectionClosedError:
            pass
        code = upstream.close_code or 1000
        await send({"type": "websocket.close", "code": 1000 if code in (1005, 1006) else code})

    async def job_end() -> None:
        await ended
        log.info("session %s closed: the job has ended", scope["path"])
        await send({"type": "websocket.close", "code": 1001, "reason": "the job has ended"})

    tasks = [asyncio.create_task(c) for c in (to_app(), to_client(), job_end())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await upstream.close()


async def _deny(scope: Scope, send: Send, error: OrchidError) -> None:
    """Refuse a WebSocket handshake with an HTTP error (or close it where that is impossible)."""
    if "websocket.http.response" in scope.get("extensions", {}):
        body = json.dumps(error_body(error.why, error.error_code)).encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": error.status_code,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": error.why[:120]})


def _host_header(scope: Scope) -> str | None:
    """The client's Host header when it is a plain host[:port] (no path, user or spaces)."""
    for name, value in scope["headers"]:
        if name == b"host":
            host: str = value.decode("latin-1")
            if host and not any(c in host for c in "/?#@ \\\t"):
                return host
    return None


def _upstream_headers(
    scope: Scope, cookies: list[str], drop: set[bytes]
) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k not in drop]
    if cookies:
        headers.append((b"cookie", "; ".join(cookies).encode("latin-1")))
    client = scope.get("client")
    if client:
        headers.append((b"x-forwarded-for", str(client[0]).encode()))
    headers.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode()))
    return headers
