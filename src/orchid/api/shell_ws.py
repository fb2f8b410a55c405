"""The shell WebSocket (spec/sessions-api.md §6): /ucloud/<provider>/websocket.

Client frames: {"call": "jobs.compute.<provider>.shell.open", "streamId": "0", "payload": P} where
P is `initialize {sessionIdentifier, cols, rows}` (first, within INIT_SECONDS), then `input {data}`
or `resize {cols, rows}`. Server frames: {"type": "message", "streamId": <initialize's>,
"payload": {"type": "initialize"}} once, then {"type": "data", "data": "..."} output on that
stream, and {"type": "ack"} on the stream of every later request.

Orchid's extensions, ignored by UCloud's clients: `initialize` may say `"tty": false` (plain pipes,
for scripts) and `{"type": "eof"}` ends the input; when the shell ends, a final
{"type": "response", "streamId": <initialize's>, "status": 200, "payload": {"exitCode": N}} comes
before the socket closes. A refused or broken request gets a `response` frame with a 4xx status
and {"why", "errorCode"}; before a valid `initialize` that also closes the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from orchid.api.errors import describe_validation, error_body
from orchid.api.state import runtime_of
from orchid.errors import BadRequest, OrchidError
from orchid.schemas.sessions import (
    ShellEof,
    ShellInitialize,
    ShellInput,
    ShellRequest,
    ShellResize,
)
from orchid.service.sessions import Sessions, ShellSession
from orchid.service.terminal import Terminal

router = APIRouter()
log = logging.getLogger(__name__)

INIT_SECONDS = 30.0
FRAME_CHARS = 32 * 1024
# Output waiting for a slow client: above this the shell's output is no longer read.
BACKLOG_CHARS = 1024 * 1024
_requests: TypeAdapter[ShellRequest] = TypeAdapter(ShellRequest)


class _Refused(Exception):
    def __init__(self, stream_id: str, status: int, why: str, code: str | None) -> None:
        super().__init__(why)
        self.stream_id, self.status, self.why, self.code = stream_id, status, why, code


def _parse(text: str) -> tuple[str, ShellRequest]:
    """(streamId, request) of a client frame. Raises _Refused."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        raise _Refused("", 400, "the frame is not valid JSON", "MALFORMED_JSON") from None
    if not isinstance(frame, dict):
        raise _Refused("", 400, "a frame must be a JSON object", "INVALID_REQUEST")
    stream_id = frame.get("streamId")
    stream_id = str(stream_id)[:64] if isinstance(stream_id, str | int) else ""
    try:
        return stream_id, _requests.validate_python(frame.get("payload"))
    except ValidationError as exc:
        why, code = describe_validation(list(exc.errors()))  # type: ignore[arg-type]
        raise _Refused(stream_id, 400, f"payload {why}", code) from None


class _Shell:
    def __init__(self, ws: WebSocket, sessions: Sessions) -> None:
        self.ws = ws
        self.sessions = sessions
        self.lock = asyncio.Lock()
        self.stream = "0"
        self.backlog: list[str] = []
        self.backlog_chars = 0
        self.output = asyncio.Event()
        self.terminal: Terminal | None = None

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.lock:
            await self.ws.send_text(json.dumps(frame, separators=(",", ":")))

    async def respond(self, stream_id: str, status: int, payload: Any) -> None:
        await self.send(
            {"type": "response", "streamId": stream_id, "payload": payload, "status": status}
        )

    async def refuse(self, refused: _Refused) -> None:
        await self.respond(refused.stream_id, refused.status, error_body(refused.why, refused.code))

    # ---- opening ----

    async def initialize(self) -> tuple[ShellSession, ShellInitialize] | None:
        try:
            text = await asyncio.wait_for(self.ws.receive_text(), INIT_SECONDS)
        except TimeoutError:
            await self.refuse(
                _Refused("", 408, "no initialize request in time", "INITIALIZE_TIMEOUT")
            )
            return None
        except KeyError:  # a binary frame
            await self.refuse(_Refused("", 400, "frames must be text", "INVALID_REQUEST"))
            return None
        try:
            stream_id, request = _parse(text)
            if not isinstance(request, ShellInitialize):
                raise _Refused(
                    stream_id, 400, "the first request must be initialize", "NOT_INITIALIZED"
                )
            try:
                session = await self.sessions.shell(request.session_identifier)
            except OrchidError as exc:
                raise _Refused(stream_id, exc.status_code, exc.why, exc.error_code) from None
        except _Refused as refused:
            await self.refuse(refused)
            return None
        self.stream = stream_id
        return session, request

    def on_output(self, text: str) -> None:
        self.backlog.append(text)
        self.backlog_chars += len(text)
        self.output.set()
        if self.backlog_chars > BACKLOG_CHARS and self.terminal is not None:
            self.terminal.pause_output()

    # ---- running ----

    async def run(self) -> None:
        opened = await self.initialize()
        if opened is None:
            await self.ws.close(1008)
            return
        session, init = opened
        try:
            self.terminal = Terminal(
                session.command,
                tty=init.tty,
                cols=init.cols,
                rows=init.rows,
                on_output=self.on_output,
            )
        except OSError as error:
            log.warning(
                "shell for job %s rank %d cannot start: %s", session.job_id, session.rank, error
            )
            await self.respond(
                self.stream, 502, error_body(f"the shell cannot start: {error}", "SHELL_FAILED")
            )
            await self.ws.close(1011)
            return
        log.info(
            "shell session opened: job %s rank %d (%s), pid %d",
            session.job_id,
            session.rank,
            session.owner,
            self.terminal.pid,
        )
        await self.send(
            {"type": "message", "streamId": self.stream, "payload": {"type": "initialize"}}
        )
        tasks = {
            asyncio.create_task(self.pump_output(), name="output"),
            asyncio.create_task(self.read_requests(), name="requests"),
            asyncio.create_task(self.sessions.wait_until_ended(session.job_id), name="job"),
        }
        code = 1000
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finished = {task.get_name() for task in done}
            if "output" in finished:
                await self.respond(self.stream, 200, {"exitCode": self.terminal.exit_code})
            elif "job" in finished:
                await self.respond(
                    self.stream, 410, error_body("the job has ended", "SESSION_ENDED")
                )
                code = 1001
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.terminal.close()
            log.info(
                "shell session closed: job %s rank %d, exit code %d",
                session.job_id,
                session.rank,
                self.terminal.exit_code,
            )
        with contextlib.suppress(Exception):
            await self.ws.close(code)

    async def pump_output(self) -> None:
        """Send the output as it comes, until the shell has ended and all of it is sent."""
        assert self.terminal is not None
        ended = asyncio.create_task(self.terminal.wait())
        try:
            while True:
                waiting = asyncio.create_task(self.output.wait())
                await asyncio.wait({waiting, ended}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                await self.flush()
                if ended.done():
                    await self.flush()
                    return
        finally:
            ended.cancel()

    async def flush(self) -> None:
        self.output.clear()
        text, self.backlog, self.backlog_chars = "".join(self.backlog), [], 0
        if self.terminal is not None:
            self.terminal.resume_output()
        for start in range(0, len(text), FRAME_CHARS):
            payload = {"type": "data", "data": text[start : start + FRAME_CHARS]}
            await self.send({"type": "message", "streamId": self.stream, "payload": payload})

    async def read_requests(self) -> None:
        assert self.terminal is not None
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            try:
                if text is None:
                    raise _Refused("", 400, "frames must be text", "INVALID_REQUEST")
                stream_id, request = _parse(text)
                if isinstance(request, ShellInput):
                    self.terminal.write(request.data)
                elif isinstance(request, ShellResize | ShellInitialize):
                    self.terminal.resize(request.cols, request.rows)
                elif isinstance(request, ShellEof):
                    self.terminal.end_input()
                else:  # pragma: no cover - the union is exhausted above
                    raise BadRequest("unknown request")
            except _Refused as refused:
                log.info("shell session: refused a frame: %s", refused.why)
                await self.refuse(refused)
                continue
            await self.send({"type": "message", "streamId": stream_id, "payload": {"type": "ack"}})


@router.websocket("/ucloud/{provider_id}/websocket")
async def shell_socket(ws: WebSocket, provider_id: str) -> None:
    await ws.accept()
    shell = _Shell(ws, runtime_of(ws.app).sessions)
    with contextlib.suppress(WebSocketDisconnect):
        await shell.run()
