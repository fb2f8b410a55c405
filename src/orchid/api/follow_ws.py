"""The WebSocket on /api/jobs: UCloud's subscription protocol, carrying jobs.follow.

Client frames: {"call": "jobs.follow", "streamId": "0", "payload": {"id": "123"}, "bearer": "..."}.
Server frames: {"type": "message", "streamId", "payload": JobsFollowResponse} per change, and a final
{"type": "response", "streamId", "payload", "status"} that ends the stream. Several streams may share
one socket. {"ping": "pong"} keep-alives are sent while a stream is idle.

Whatever a client sends, the answer is an error frame on that stream (never a traceback, never the
end of the other streams). Sockets are bounded: how many are open, how many streams each carries,
how large a frame may be (uvicorn's ws_max_size), how long a socket may stay without an
authenticated stream, and how long a follower may leave frames unread. Close codes say why:

    1008  no authenticated jobs.follow within ws_auth_seconds
    1012  the server is shutting down: reconnect (logs are on disk, nothing is lost)
    1013  too many WebSockets are open: try again later
    4001  too slow: frames waited more than ws_send_timeout_seconds; reconnect to resume
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from orchid.api.errors import describe_validation, error_body
from orchid.api.state import runtime_of
from orchid.api.strict import check_json
from orchid.errors import BadRequest, OrchidError
from orchid.runtime import Runtime
from orchid.schemas.base import FindByStringId
from orchid.service.follow import follow

router = APIRouter()
log = logging.getLogger(__name__)
PING = json.dumps({"ping": "pong"})

CLOSE_NO_AUTH = 1008
CLOSE_SHUTDOWN = 1012
CLOSE_BUSY = 1013
CLOSE_TOO_SLOW = 4001

# The sockets open now, so shutdown can close them with a frame that says why.
_open: set[_Connection] = set()


class _TooSlow(Exception):
    pass


class _Connection:
    def __init__(self, ws: WebSocket, send_timeout: float) -> None:
        self.ws = ws
        self.lock = asyncio.Lock()
        self.streams: dict[str, asyncio.Task[None]] = {}
        self.authenticated = asyncio.Event()
        self.send_timeout = send_timeout
        self.closing: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()

    async def send(self, frame: dict[str, Any] | str) -> None:
        """Send one frame. A frame is only made when the previous one has left (the follower's
        generator waits here), so a follower that does not read costs one frame of memory; one
        that leaves a frame unsent for `send_timeout` is disconnected."""
        text = frame if isinstance(frame, str) else json.dumps(frame, separators=(",", ":"))
        async with self.lock:
            try:
                await asyncio.wait_for(self.ws.send_text(text), self.send_timeout)
            except TimeoutError:
                self.close(
                    CLOSE_TOO_SLOW,
                    f"too slow: a frame waited more than {self.send_timeout:g} s; "
                    "reconnect to resume",
                )
                raise _TooSlow from None

    async def respond(self, stream_id: str, status: int, payload: Any) -> None:
        await self.send(
            {"type": "response", "streamId": stream_id, "payload": payload, "status": status}
        )

    async def error(self, stream_id: str, status: int, why: str, code: str) -> None:
        await self.respond(stream_id, status, error_body(why, code))

    def close(self, code: int, reason: str) -> None:
        """Ask the socket's receive loop to close with `code` (the first reason wins)."""
        if not self.closing.done():
            log.info("follow socket closed (%d): %s", code, reason)
            self.closing.set_result((code, reason))


async def _run_follow(
    conn: _Connection, stream_id: str, user: str, job_id: str, runtime: Runtime
) -> None:
    keepalive = runtime.settings.keepalive_seconds
    try:
        async for message in follow(
            runtime.service, runtime.log_watcher, user, job_id, idle_seconds=keepalive
        ):
            if message is None:
                await conn.send(PING)
                continue
            payload = message.model_dump(mode="json")
            await conn.send({"type": "message", "streamId": stream_id, "payload": payload})
        await conn.respond(stream_id, 200, {})
    except (_TooSlow, WebSocketDisconnect):
        pass
    except OrchidError as exc:
        with contextlib.suppress(_TooSlow, WebSocketDisconnect, RuntimeError):
            await conn.error(stream_id, exc.status_code, exc.why, exc.error_code)
    except Exception:
        log.exception("%s follow stream failed", job_id)
        with contextlib.suppress(_TooSlow, WebSocketDisconnect, RuntimeError):
            await conn.error(stream_id, 500, "internal server error", "INTERNAL_ERROR")
    finally:
        conn.streams.pop(stream_id, None)


def _stream_id(frame: dict[str, Any]) -> str:
    value = frame.get("streamId", "")
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value)
        if len(text) <= 100:
            return text
    return ""


async def _handle_frame(conn: _Connection, text: str, runtime: Runtime) -> None:
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        await conn.error("", 400, "the frame is not valid JSON", "MALFORMED_JSON")
        return
    if not isinstance(frame, dict):
        await conn.error("", 400, "a frame must be a JSON object", "INVALID_REQUEST")
        return
    stream_id = _stream_id(frame)
    try:
        check_json(frame, "frame")
    except BadRequest as exc:
        await conn.error(stream_id, 400, exc.why, exc.error_code)
        return
    call = frame.get("call")
    if call != "jobs.follow":
        shown = call if isinstance(call, str) and len(call) <= 100 else type(call).__name__
        await conn.error(stream_id, 404, f"unknown call: {shown!r}", "UNKNOWN_CALL")
        return
    if stream_id in conn.streams:
        await conn.error(stream_id, 409, "streamId is in use", "STREAM_IN_USE")
        return
    limit = runtime.settings.max_streams_per_socket
    if len(conn.streams) >= limit:
        await conn.error(
            stream_id,
            429,
            f"at most {limit} streams per WebSocket (setting max_streams_per_socket)",
            "TOO_MANY_STREAMS",
        )
        return
    bearer = frame.get("bearer")
    try:
        user = runtime.accounts.user_for(bearer if isinstance(bearer, str) else None)
        request = FindByStringId.model_validate(frame.get("payload"))
    except OrchidError as exc:
        await conn.error(stream_id, exc.status_code, exc.why, exc.error_code)
        return
    except ValidationError as exc:
        why, code = describe_validation(list(exc.errors()))  # type: ignore[arg-type]
        await conn.error(stream_id, 400, f"payload {why}", code)
        return
    conn.authenticated.set()
    task = asyncio.create_task(_run_follow(conn, stream_id, user, request.id, runtime))
    conn.streams[stream_id] = task


async def _receive_frames(conn: _Connection, runtime: Runtime) -> None:
    ws = conn.ws
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            # Binary frames (the "binary" subprotocol): UTF-8 JSON like text frames.
            data = message.get("bytes") or b""
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                await conn.error("", 400, "a binary frame must hold UTF-8 JSON", "MALFORMED_JSON")
                continue
        limit = runtime.settings.ws_max_frame_bytes
        if len(text) > limit:
            # (uvicorn's own bound, 16 MiB, also covers the interactive-session proxy)
            why = f"a frame can be at most {limit} bytes (setting ws_max_frame_bytes)"
            await conn.error("", 413, why, "FRAME_TOO_LARGE")
            continue
        try:
            await _handle_frame(conn, text, runtime)
        except (_TooSlow, WebSocketDisconnect):
            raise
        except Exception:
            # A bug must cost this frame only, not the socket and its other streams.
            log.exception("follow frame failed")
            with contextlib.suppress(Exception):
                await conn.error("", 500, "internal server error", "INTERNAL_ERROR")


async def _auth_deadline(conn: _Connection, seconds: float) -> None:
    try:
        await asyncio.wait_for(conn.authenticated.wait(), seconds)
    except TimeoutError:
        conn.close(CLOSE_NO_AUTH, f"no authenticated jobs.follow within {seconds:g} s")


RESTARTING = "the server is restarting; reconnect to resume (logs are on disk, nothing is lost)"


async def farewell(timeout: float = 1.0) -> int:
    """Before a shutdown: end every follow stream with a final response frame (503
    SERVER_RESTARTING) that tells its client to reconnect, then close every socket with 1012.
    Bounded by `timeout` (a client that does not read gets the close code alone). Returns how
    many sockets were open."""
    conns = list(_open)

    async def one(conn: _Connection) -> None:
        streams = list(conn.streams.items())
        for _, task in streams:
            task.cancel()
        for _, task in streams:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for stream_id, _ in streams:
            await conn.error(stream_id, 503, RESTARTING, "SERVER_RESTARTING")

    if conns:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                asyncio.gather(*(one(c) for c in conns), return_exceptions=True), timeout
            )
    for conn in conns:
        conn.close(CLOSE_SHUTDOWN, RESTARTING)
    return len(conns)


@router.websocket("/api/jobs")
async def jobs_socket(ws: WebSocket) -> None:
    runtime = runtime_of(ws.app)
    settings = runtime.settings
    await ws.accept(subprotocol="binary" if "binary" in ws.scope.get("subprotocols", []) else None)
    if len(_open) >= settings.max_websockets:
        await ws.close(CLOSE_BUSY, "too many WebSockets are open; try again later")
        return
    conn = _Connection(ws, settings.ws_send_timeout_seconds)
    _open.add(conn)
    receiver = asyncio.create_task(_receive_frames(conn, runtime))
    deadline = asyncio.create_task(_auth_deadline(conn, settings.ws_auth_seconds))
    try:
        waiters: set[asyncio.Future[Any]] = {receiver, conn.closing}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        _open.discard(conn)
        for task in (receiver, deadline, *conn.streams.values()):
            task.cancel()
        for task in (receiver, deadline, *list(conn.streams.values())):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if conn.closing.done():
        code, reason = conn.closing.result()
        # Bounded: a follower that reads nothing cannot take the close frame either.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(code, reason), settings.ws_send_timeout_seconds)
