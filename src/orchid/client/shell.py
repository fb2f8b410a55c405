"""The shell WebSocket of a SHELL session (spec/sessions-api.md §6), as frames in and events out.

opened = client.open_session(job_id, rank, "SHELL")
with connect(shell_socket_url(client.url, opened.provider_id)) as ws:
    ws.send(initialize_frame(opened.session.session_identifier, cols=80, rows=24))
    ws.send(input_frame("ls\\r"))
    for text in ws: event = read_frame(text) ...
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_streams = itertools.count(1)


def shell_socket_url(base_url: str, provider_id: str) -> str:
    """ws(s)://HOST/PREFIX/ucloud/<provider>/websocket for an http(s)://HOST/PREFIX base URL."""
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/") + f"/ucloud/{provider_id}/websocket"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def _frame(payload: dict[str, Any], stream_id: str | None = None) -> str:
    stream = stream_id if stream_id is not None else str(next(_streams))
    return json.dumps({"call": "jobs.compute.shell.open", "streamId": stream, "payload": payload})


def initialize_frame(identifier: str, *, cols: int, rows: int, tty: bool = True) -> str:
    payload: dict[str, Any] = {
        "type": "initialize",
        "sessionIdentifier": identifier,
        "cols": cols,
        "rows": rows,
    }
    if not tty:
        payload["tty"] = False
    return _frame(payload, "0")


def input_frame(data: str) -> str:
    return _frame({"type": "input", "data": data})


def resize_frame(cols: int, rows: int) -> str:
    return _frame({"type": "resize", "cols": cols, "rows": rows})


def eof_frame() -> str:
    return _frame({"type": "eof"})


@dataclass(frozen=True)
class ShellEvent:
    """One server frame: output (`data`), the shell's end (`exit_code`), a refusal (`status`
    and `why`), or something to ignore (acks, initialize, keep-alives)."""

    data: str | None = None
    exit_code: int | None = None
    status: int | None = None
    why: str | None = None
    initialized: bool = False


def read_frame(text: str | bytes) -> ShellEvent:
    try:
        frame = json.loads(text)
    except ValueError:
        return ShellEvent()
    if not isinstance(frame, dict):
        return ShellEvent()
    payload = frame.get("payload")
    if not isinstance(payload, dict):
        return ShellEvent()
    if frame.get("type") == "message":
        if payload.get("type") == "data" and isinstance(payload.get("data"), str):
            return ShellEvent(data=payload["data"])
        return ShellEvent(initialized=payload.get("type") == "initialize")
    if frame.get("type") == "response":
        status = frame.get("status")
        if status == 200 and isinstance(payload.get("exitCode"), int):
            return ShellEvent(exit_code=payload["exitCode"], status=200)
        return ShellEvent(status=int(status or 500), why=str(payload.get("why", "refused")))
    return ShellEvent()
