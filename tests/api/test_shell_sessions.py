"""SHELL sessions: the shell WebSocket of spec/sessions-api.md §6, against a real `orchid serve`."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support import Api, Server

CALL = "jobs.compute.example.shell.open"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("shells")).start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def alice(server: Server) -> Api:
    return server.user("alice")


@pytest.fixture
def job(alice: Api) -> Iterator[str]:
    job_id = alice.create(script="echo started > marker; sleep 300")
    alice.wait_for(job_id, "RUNNING")
    yield job_id
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def open_shell(api: Api, job_id: str, rank: int = 0) -> dict[str, Any]:
    response = api.http.post(
        "/api/jobs/interactiveSession",
        json={"items": [{"id": job_id, "rank": rank, "sessionType": "SHELL"}]},
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["responses"][0])


class Shell:
    """A client of the shell WebSocket, as UCloud's web client speaks it."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.output = ""
        self.next_stream = 1
        self.final: dict[str, Any] | None = None

    def request(self, payload: dict[str, Any]) -> str:
        stream = str(self.next_stream)
        self.next_stream += 1
        self.ws.send(json.dumps({"call": CALL, "streamId": stream, "payload": payload}))
        return stream

    def frame(self, timeout: float = 10.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        if frame["type"] == "message" and frame["payload"]["type"] == "data":
            self.output += frame["payload"]["data"]
        if frame["type"] == "response":
            self.final = frame
        return frame

    def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while not (found := re.search(pattern, self.output)):
            assert time.monotonic() < deadline, f"{pattern!r} not in {self.output!r}"
            self.frame(timeout=deadline - time.monotonic())
        return found

    def until_closed(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with pytest.raises(ConnectionClosed):
            while True:
                self.frame(timeout=max(0.1, deadline - time.monotonic()))


def namespace_empty(namespace: str, timeout: float = 10.0) -> bool:
    """Whether every process of a PID namespace (the shell, what it started, the job) ends in
    time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        members = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and os.readlink(entry / "ns" / "pid") == namespace:
                    members.append(entry.name)
            except OSError:
                continue
        if not members:
            return True
        time.sleep(0.05)
    return False


@contextmanager
def connect_shell(opened: dict[str, Any], **init: Any) -> Iterator[Shell]:
    url = f"{opened['session']['domainOverride']}/ucloud/{opened['providerId']}/websocket"
    with connect(url, open_timeout=10) as ws:
        shell = Shell(ws)
        payload = {
            "type": "initialize",
            "sessionIdentifier": opened["session"]["sessionIdentifier"],
        }
        ws.send(json.dumps({"call": CALL, "streamId": "0", "payload": {**payload, **init}}))
        initialized = shell.frame()
        assert initialized == {
            "type": "message",
            "streamId": "0",
            "payload": {"type": "initialize"},
        }
        yield shell


def test_a_shell_runs_in_the_jobs_folder_resizes_and_ends_with_the_job(
    server: Server, alice: Api, job: str
) -> None:
    opened = open_shell(alice, job)
    session = opened["session"]
    assert (session["type"], session["jobId"], session["rank"]) == ("shell", job, 0)
    assert session["domainOverride"] == server.url.replace("http://", "ws://")

    with connect_shell(opened, cols=120, rows=40) as shell:
        stream = shell.request({"type": "input", "data": 'cat marker; echo "job=$ORCHID_JOB_ID"\r'})
        shell.wait_for(r"started\r\njob=" + job)
        # (the shell is inside the job's sandbox: its pids are those of the job's PID namespace)
        shell.request({"type": "input", "data": "stty size; echo ns=$(readlink /proc/$$/ns/pid)\r"})
        shell.wait_for(r"40 120")
        namespace = shell.wait_for(r"ns=(pid:\[\d+\])").group(1)
        assert stream == "1"
        shell.request({"type": "resize", "cols": 100, "rows": 30})
        shell.request({"type": "input", "data": "stty size\r"})
        shell.wait_for(r"30 100")
        shell.request({"type": "input", "data": "sleep 1000 & echo bg=$!\r"})
        shell.wait_for(r"bg=(\d+)")

        alice.http.post("/api/jobs/terminate", json={"items": [{"id": job}]})
        shell.until_closed()

        assert shell.final is not None and shell.final["status"] == 410
        assert shell.final["payload"]["errorCode"] == "SESSION_ENDED"
        assert namespace_empty(namespace)


def test_without_a_terminal_a_script_runs_and_its_exit_code_comes_back(
    alice: Api, job: str
) -> None:
    with connect_shell(open_shell(alice, job), tty=False) as shell:
        shell.request({"type": "input", "data": "echo one\nls\n"})
        shell.request({"type": "input", "data": "echo two >&2\nexit 7\n"})
        shell.request({"type": "eof"})

        shell.until_closed()

        assert shell.final is not None
        assert (shell.final["status"], shell.final["payload"]) == (200, {"exitCode": 7})
        lines = shell.output.splitlines()
        assert (lines[0], lines[-1]) == ("one", "two")
        assert "marker" in lines[1:-1]


def test_exiting_the_shell_closes_the_socket_with_its_code(alice: Api, job: str) -> None:
    with connect_shell(open_shell(alice, job)) as shell:
        acks = shell.request({"type": "input", "data": "exit 3\r"})
        shell.until_closed()
        assert shell.final is not None and shell.final["payload"] == {"exitCode": 3}
        assert acks == "1"


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ("not json", "MALFORMED_JSON"),
        ("[" * 30_000 + "]" * 30_000, "MALFORMED_JSON"),
        ('["a"]', "INVALID_REQUEST"),
        (
            '{"call": "x", "streamId": "0", "payload": {"type": "input", "data": "ls"}}',
            "NOT_INITIALIZED",
        ),
        ('{"streamId": "0", "payload": {"type": "initialize"}}', "MISSING_FIELD"),
        (
            '{"streamId": "0", "payload": {"type": "initialize", "sessionIdentifier": "1.0.xyz"}}',
            "UNKNOWN_SESSION",
        ),
    ],
)
def test_a_bad_first_frame_gets_an_error_and_the_socket_closes(
    server: Server, first: str, code: str
) -> None:
    url = server.url.replace("http://", "ws://") + "/ucloud/example/websocket"
    with connect(url, open_timeout=10) as ws:
        ws.send(first)
        frame = json.loads(ws.recv(timeout=10))
        assert frame["type"] == "response" and frame["status"] in (400, 404)
        assert frame["payload"]["errorCode"] == code
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)


def test_garbage_after_initialize_is_refused_and_the_shell_goes_on(alice: Api, job: str) -> None:
    with connect_shell(open_shell(alice, job)) as shell:
        shell.ws.send("garbage")
        shell.ws.send(b"\x00binary")
        shell.ws.send(json.dumps({"streamId": "9", "payload": {"type": "resize", "cols": 0}}))
        refusals = [shell.frame() for _ in range(3)]
        assert [r["status"] for r in refusals] == [400, 400, 400]
        shell.request({"type": "input", "data": "echo still-here\r"})
        shell.wait_for("still-here")


def test_another_users_job_has_no_shell(server: Server, alice: Api, job: str) -> None:
    bob = server.user("bob")
    response = bob.http.post(
        "/api/jobs/interactiveSession",
        json={"items": [{"id": job, "rank": 0, "sessionType": "SHELL"}]},
    )
    assert response.status_code == 404
    assert response.json()["errorCode"] == "JOB_NOT_FOUND"
