"""`orchid jobs open`: the session URL of a running job's web interface."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import httpx
import pytest

from tests.cli.clitools import Cli, cli_for
from tests.support import Api, Server, wait_until


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "opener", tmp_path_factory.mktemp("config"))


def test_open_prints_a_url_that_reaches_the_interface(
    server: Server, user: tuple[Cli, Api]
) -> None:
    cli, api = user
    job_id = api.create(app="acme-web-application", replicas=2)
    api.wait_for(job_id, "RUNNING")

    result = cli("jobs", "open", job_id, "--rank", "1")

    assert result.code == 0, result.err
    url = result.out.strip()
    assert url.startswith(f"{server.url}/sessions/{job_id}/1/?orchid-session=")
    with httpx.Client(follow_redirects=True, timeout=20) as tab:

        def listening() -> httpx.Response | None:
            response = tab.get(url)
            return response if response.status_code != 502 else None

        page = wait_until(listening, "the application to listen")
    assert page.status_code == 200
    assert "<span id='rank'>1</span>" in page.text

    as_json = cli("jobs", "open", job_id, "-o", "json")
    assert as_json.code == 0, as_json.err
    assert as_json.json()["session"]["type"] == "web"

    out_of_range = cli("jobs", "open", job_id, "--rank", "2")
    assert out_of_range.code != 0
    assert "rank 2 is out of range" in out_of_range.err
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_open_refuses_a_batch_job(user: tuple[Cli, Api]) -> None:
    cli, api = user
    job_id = api.create(script="sleep 30")
    api.wait_for(job_id, "RUNNING")

    result = cli("jobs", "open", job_id)

    assert result.code != 0
    assert "not a web application" in result.err
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_shell_runs_piped_lines_in_the_job_and_exits_with_the_shells_code(
    user: tuple[Cli, Api],
) -> None:
    cli, api = user
    job_id = api.create(script="echo hello > greeting.txt; sleep 300")
    api.wait_for(job_id, "RUNNING")

    done = cli("jobs", "shell", job_id, input='cat greeting.txt\necho "rank $ORCHID_RANK"\n')
    failed = cli("jobs", "shell", job_id, input="echo about to fail\nfalse\n")
    exits = cli("jobs", "shell", job_id, input="exit 42\n")

    assert (done.code, done.out) == (0, "hello\nrank 0\n"), done.err
    assert (failed.code, failed.out) == (1, "about to fail\n")
    assert exits.code == 42
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    api.wait_for(job_id, "SUCCESS")
    ended = cli("jobs", "shell", job_id, input="ls\n")
    assert ended.code != 0 and "not RUNNING" in ended.err


def test_shell_on_a_terminal_is_interactive(user: tuple[Cli, Api]) -> None:
    cli, api = user
    job_id = api.create(script="sleep 300")
    api.wait_for(job_id, "RUNNING")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    process = cli.popen(
        "jobs", "shell", job_id, stdin=terminal, stdout=terminal, stderr=subprocess.DEVNULL
    )
    os.close(terminal)
    seen = b""

    def read_until(expected: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 20
        while not re.search(expected, seen):
            assert time.monotonic() < deadline, f"{expected!r} not in {seen!r}"
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                seen += os.read(controller, 4096)

    try:
        read_until(rb"[#$] $")  # the shell's prompt: it is ready
        os.write(controller, b"echo hi-$((1+2)); stty size\r")
        read_until(b"hi-3")
        read_until(b"33 111")
        os.write(controller, b"exit 5\r")
        assert process.wait(timeout=20) == 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
        api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
