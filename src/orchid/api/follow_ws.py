"""The WebSocket on /api/jobs: UCloud's subscription protocol, carrying jobs.follow.

Client frames: {"call": "jobs.follow", "streamId": "0", "payload": {"id": "123"}, "bearer": "..."}.
Server frames: {"type": "message", "streamId", "payload": JobsFollowResponse} per change, and a final
{"type": "response", "streamId", "payload", "status"} that ends the stream. Several streams may share
one socket. {"ping": "pong"} keep-alives are sent while a stream is idle.
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
from orchid.errors import OrchidError
from orchid.runtime import Runtime
from orchid.schemas.base import FindByStringId
from orchid.service.follow import follow

router = APIRouter()
log = logging.getLogger(__name__)
PING = json.dumps({"ping": "pong"})


class _Connection:
    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.lock = asyncio.Lock()
        self.streams: dict[str, asyncio.Task[None]] = {}

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame, separators=(",", ":"))
        async with self.lock:
            await self.ws.send_text(text)

    async def respond(self, stream_id: str, status: int, payload: Any) -> None:
        await self.send(
            {"type": "response", "streamId": stream_id, "payload": payload, "status": status}
        )


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
    except OrchidError as exc:
        await conn.respond(stream_id, exc.status_code, error_body(exc.why, exc.error_code))
    finally:
        conn.streams.pop(stream_id, None)


async def _handle_frame(conn: _Connection, text: str, runtime: Runtime) -> None:
    try:
        frame = json.loads(text)
    except json.JSONDecodeError:
        await conn.respond("", 400, error_body("the frame is not valid JSON", "MALFORMED_JSON"))
        return
    if not isinstance(frame, dict):
        await conn.respond("", 400, error_body("a frame must be a JSON object", "INVALID_REQUEST"))
        return
    stream_id = str(frame.get("streamId", ""))
    call = frame.get("call")
    if call != "jobs.follow":
        await conn.respond(stream_id, 404, error_body(f"unknown call: {call!r}", "UNKNOWN_CALL"))
        return
    if stream_id in conn.streams:
        await conn.respond(stream_id, 409, error_body("streamId is in use", "STREAM_IN_USE"))
        return
    try:
        user = runtime.accounts.user_for(frame.get("bearer"))
        request = FindByStringId.model_validate(frame.get("payload"))
    except OrchidError as exc:
        await conn.respond(stream_id, exc.status_code, error_body(exc.why, exc.error_code))
        return
    except ValidationError as exc:
        why, code = describe_validation(list(exc.errors()))  # type: ignore[arg-type]
        await conn.respond(stream_id, 400, error_body(f"payload {why}", code))
        return
    task = asyncio.create_task(_run_follow(conn, stream_id, user, request.id, runtime))
    conn.streams[stream_id] = task


@router.websocket("/api/jobs")
async def jobs_socket(ws: WebSocket) -> None:
    await ws.accept(subprotocol="binary" if "binary" in ws.scope.get("subprotocols", []) else None)
    conn = _Connection(ws)
    try:
        while True:
            text = await ws.receive_text()
            await _handle_frame(conn, text, runtime_of(ws.app))
    except WebSocketDisconnect:
        pass
    finally:
        for task in list(conn.streams.values()):
            task.cancel()
        for task in list(conn.streams.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
