"""Web sessions when things go wrong: an application that never opens its port, a replica that dies
while a response streams, a client that goes away mid-download. Each gives the client a clear error
(never a hang or a 500), a line in Orchid's log, and leaves no connection open behind it."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_sessions import browser, get_when_listening, web_url
from tests.support import Api, Server

WEB = "acme-web-application"
GIB = 2**30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("session-failures")).start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def carol(server: Server) -> Api:
    return server.user("carol")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def established(port: int) -> int:
    """TCP connections in ESTABLISHED state with `port` at one end (from /proc/net/tcp)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            ports = {int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)}
            if state == "01" and port in ports:
                count += 1
    return count


def web_port(server: Server, job_id: str) -> int:
    found = [p for p in server.data_dir.rglob("rank-0.webport") if p.parent.name == job_id]
    assert found, f"no port file for job {job_id}"
    return int(found[0].read_text())


def replica_pid(job_id: str) -> int:
    """The acme-web process of rank 0 of `job_id` (found by its environment)."""
    wanted = {f"ORCHID_JOB_ID={job_id}".encode(), b"ORCHID_RANK=0"}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = set((entry / "environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if b"orchid.apps.acme_web" in cmdline and wanted <= environ:
            return int(entry.name)
    raise AssertionError(f"no acme-web process for job {job_id}")


@pytest.fixture
def web_job(carol: Api) -> Iterator[str]:
    job_id = carol.create(app=WEB)
    carol.wait_for(job_id, "RUNNING")
    yield job_id
    carol.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_an_application_that_never_opens_its_port_gets_a_clear_502(
    server: Server, carol: Api
) -> None:
    # Given a WEB job whose application listens elsewhere than on the port Orchid gave it (a free
    # unprivileged port: the job's account may not bind one below 1024)
    elsewhere = {"port": {"type": "integer", "value": free_port()}}
    job_id = carol.create(app=WEB, parameters=elsewhere)
    try:
        carol.wait_for(job_id, "RUNNING")
        url = web_url(carol, job_id)
        with browser() as tab:
            # When the session is opened, the answer comes at once and says why
            began = time.monotonic()
            response = tab.get(url)
            assert time.monotonic() - began < 10
            assert response.status_code == 502
            body = response.json()
            assert body["errorCode"] == "SESSION_UNREACHABLE"
            assert f"does not answer on port {web_port(server, job_id)}" in body["why"]
        assert "the application does not answer" in server.log_path.read_text()
    finally:
        carol.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_a_replica_that_dies_mid_download_cuts_the_response_and_the_session_ends(
    server: Server, carol: Api, web_job: str
) -> None:
    url = web_url(carol, web_job)
    port = web_port(server, web_job)
    with browser() as tab:
        assert get_when_listening(tab, url).status_code == 200
        base = f"{server.url}/sessions/{web_job}/0/"
        # Given a 1 GiB download under way through the proxy
        with tab.stream("GET", f"{base}bytes?n={GIB}") as response:
            assert response.status_code == 200
            chunks = response.iter_raw(64 * 1024)
            next(chunks)
            # When the replica is killed
            os.kill(replica_pid(web_job), signal.SIGKILL)
            # Then the client's response ends short, with an error, not a hang
            with pytest.raises(httpx.HTTPError):
                for _ in chunks:
                    pass
        wait_until(
            lambda: "session response cut short" in server.log_path.read_text(),
            "the proxy logs the cut response",
        )
        # And later requests say why they cannot be served
        later = tab.get(f"{base}echo")
        assert later.status_code in (410, 502), later.text
        assert later.json()["errorCode"] in ("SESSION_ENDED", "SESSION_UNREACHABLE")
    wait_until(lambda: established(port) == 0, f"no connection left to port {port}")


def test_a_client_leaving_mid_download_frees_the_connection_to_the_application(
    server: Server, carol: Api, web_job: str
) -> None:
    url = web_url(carol, web_job)
    port = web_port(server, web_job)
    with browser() as tab:
        assert get_when_listening(tab, url).status_code == 200
        base = f"{server.url}/sessions/{web_job}/0/"
        # Given a 1 GiB download under way through the proxy
        with tab.stream("GET", f"{base}bytes?n={GIB}") as response:
            next(response.iter_raw(64 * 1024))
            assert established(port) >= 1  # Orchid -> application
        # When the client goes away (the stream closed unread, the connection with it)
    # Then Orchid notes it and lets go of the application's connection
    wait_until(
        lambda: "client disconnected during the response" in server.log_path.read_text(),
        "the proxy logs the disconnection",
    )
    wait_until(lambda: established(port) == 0, f"no connection left to port {port}")
    # And the application still serves the next session request
    with browser() as tab:
        again = get_when_listening(tab, url)
        assert again.status_code == 200
        assert tab.get(f"{server.url}/sessions/{web_job}/0/echo").status_code == 200
