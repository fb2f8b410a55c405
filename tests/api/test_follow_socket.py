"""The follow WebSocket under odd, hostile and slow clients: every odd frame gets an error frame
on its stream and nothing else changes; sockets that never authenticate are closed; a follower
that stops reading costs bounded memory and is disconnected with a close code that says why."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support import Api, Server

MiB = 1024 * 1024


def ws_url(server: Server) -> str:
    return server.url.replace("http://", "ws://") + "/api/jobs"


def follow_frame(api: Api, job_id: str, stream: str = "0", **changes: Any) -> str:
    frame = {"call": "jobs.follow", "streamId": stream, "payload": {"id": job_id}}
    return json.dumps(frame | {"bearer": api.token} | changes)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def frames_of(ws: ClientConnection, stream: str, until_type: str = "response") -> dict[str, Any]:
    """Receive frames until one of `stream` with type `until_type` (others are dropped)."""
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame.get("streamId") == stream and frame.get("type") == until_type:
            return dict(frame)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"ORCHID_WS_AUTH_SECONDS": "1", "ORCHID_WS_SEND_TIMEOUT_SECONDS": "2"}
    srv = Server(tmp_path_factory.mktemp("orchid-ws"), env=env).start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def alice(server: Server) -> Api:
    return server.user("alice")


ODD_FRAMES: list[tuple[str | bytes, int, str]] = [
    ('{"call": "jobs.follow", "streamId": "x", "payload": {"id": "1"}, "bearer": 12345}', 401, "x"),
    ("[1, 2, 3]", 400, ""),
    ('{"streamId": "y"}', 404, "y"),
    ('{"call": ["jobs.follow"], "streamId": "z"}', 404, "z"),
    ("not json", 400, ""),
    ("null", 400, ""),
    ("[" * 30_000 + "]" * 30_000, 400, ""),
    (b"\xff\xfe binary garbage", 400, ""),
    (
        '{"call": "jobs.follow", "streamId": "n", "payload": {"id": "1"}, "bearer": "a\\u0000"}',
        400,
        "n",
    ),
    ('{"call": "jobs.follow", "streamId": "s", "payload": {"id": "\\ud800"}}', 400, "s"),
    ('{"call": "jobs.follow", "streamId": "p", "payload": [], "bearer": "t"}', 401, "p"),
    ('{"call": "jobs.follow", "streamId": {"a": 1}, "payload": {"id": "1"}}', 401, ""),
]


def test_odd_frames_get_error_frames_and_other_streams_go_on(server: Server, alice: Api) -> None:
    # Given a socket following a running job
    job_id = alice.create(script="sleep 1; echo done")
    with connect(ws_url(server)) as ws:
        ws.send(follow_frame(alice, job_id, stream="main"))
        first = frames_of(ws, "main", "message")
        assert first["payload"]["initialJob"]["id"] == job_id

        # When the client sends every kind of odd frame on the same socket
        for raw, status, stream in ODD_FRAMES:
            ws.send(raw)
            # Then each gets an error response on its stream, with why and errorCode
            response = frames_of(ws, stream)
            assert response["status"] == status, (raw, response)
            assert set(response["payload"]) == {"why", "errorCode"}

        # ... a binary frame that holds a valid call works like a text one
        ws.send(follow_frame(alice, job_id, stream="bin").encode())
        assert frames_of(ws, "bin", "message")["payload"]["initialJob"]["id"] == job_id

        # And the first stream still runs to its end
        assert frames_of(ws, "main")["status"] == 200
    assert "Traceback" not in server.log_path.read_text()


def test_a_socket_that_never_authenticates_is_closed(server: Server) -> None:
    with connect(ws_url(server)) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "authenticated" in closed.value.rcvd.reason


def test_a_socket_with_only_failed_calls_is_closed_too(server: Server) -> None:
    with connect(ws_url(server)) as ws:
        ws.send('{"call": "jobs.follow", "streamId": "1", "payload": {"id": "1"}, "bearer": "no"}')
        assert json.loads(ws.recv(timeout=10))["status"] == 401
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


class RawSocket:
    """A WebSocket client on a plain socket, so that 'not reading' means exactly that: no
    library thread drains the socket behind the test's back."""

    def __init__(self, server: Server) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.sock.connect(("127.0.0.1", server.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(1)  # byte by byte: read nothing past the handshake
        assert self.buffer.startswith(b"HTTP/1.1 101"), self.buffer

    def send_text(self, text: str) -> None:
        data = text.encode()
        mask = os.urandom(4)
        assert len(data) < 65536
        header = bytes([0x81, 0x80 | 126]) + struct.pack("!H", len(data)) + mask
        self.sock.sendall(header + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def close_frame(self) -> tuple[int, str]:
        """Read (and drop) frames until the server's close frame; its code and reason."""
        self.buffer = b""
        self.sock.settimeout(20)
        while True:
            first, second = self._exactly(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._exactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._exactly(8))
            payload = self._exactly(length)
            if first & 0x0F == 0x8:
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def close(self) -> None:
        self.sock.close()


def test_a_late_follower_that_does_not_read_costs_bounded_memory(
    server: Server, alice: Api
) -> None:
    assert server.process is not None
    pid = server.process.pid
    # Given a finished job with a 200 MB log
    job_id = alice.create(script="yes 0123456789012345678901234567890123456789 | head -c 200000000")
    alice.wait_for(job_id, "SUCCESS", timeout=60)

    # When a follower connects late, asks for the job and then reads nothing
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak RSS (VmHWM)
    baseline = rss_bytes(pid)
    client = RawSocket(server)
    try:
        client.send_text(follow_frame(alice, job_id))
        # Then the server gives up on it once a frame has waited 2 s (it says so in its log) ...
        wait_until(lambda: "too slow" in server.log_path.read_text(), timeout=30)

        # ... having held far less than the log in memory
        peak = rss_bytes(pid, "VmHWM")
        assert peak - baseline < 20 * MiB, f"server RSS grew by {(peak - baseline) / MiB:.1f} MiB"
        # ... while other calls were served
        assert alice.retrieve(job_id)["status"]["state"] == "SUCCESS"

        # And when the client reads again, it gets what was in flight, then a close code
        # that tells it to reconnect
        code, reason = client.close_frame()
        assert code == 4001
        assert "reconnect" in reason
    finally:
        client.close()
