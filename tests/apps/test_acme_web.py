"""acme-web-application, run as the real program a job would run."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

LINE_TIMEOUT = 10.0
LISTENING = re.compile(r"^acme-web-application listening on http://127\.0\.0\.1:(\d+)$")


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    url: str = ""

    def next_line(self) -> str | None:
        """The next stdout line (None at end of output); fails if none comes in time."""
        try:
            return self.lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            pytest.fail(f"no output from acme-web within {LINE_TIMEOUT}s")

    def wait_for_line(self, expected: str) -> None:
        seen = []
        while (line := self.next_line()) is not None:
            if line == expected:
                return
            seen.append(line)
        pytest.fail(f"{expected!r} never printed; got {seen!r}")


def _pump(stream: Iterator[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


@pytest.fixture
def server() -> Iterator[RunningServer]:
    env = {**os.environ, "ORCHID_RANK": "0", "ORCHID_JOB_ID": "62348"}
    argv = [sys.executable, "-m", "orchid.apps.acme_web", "--port", "0"]
    argv += ["--greeting", "Hi <there> & welcome"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        running = RunningServer(process)
        reader = threading.Thread(target=_pump, args=(process.stdout, running.lines), daemon=True)
        reader.start()
        try:
            first = running.next_line()
            match = LISTENING.match(first or "")
            assert match, f"unexpected first line: {first!r}"
            running.url = f"http://127.0.0.1:{match.group(1)}"
            yield running
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=LINE_TIMEOUT)
            reader.join(timeout=LINE_TIMEOUT)


def test_the_page_shows_the_greeting_rank_and_job_and_the_request_is_logged(
    server: RunningServer,
) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=LINE_TIMEOUT) as response:
        status = response.status
        content_type = response.headers["Content-Type"]
        page = response.read().decode("utf-8")

    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert "<h1>Hi &lt;there&gt; &amp; welcome</h1>" in page
    assert "<span id='rank'>0</span>" in page
    assert "<span id='job'>62348</span>" in page
    server.wait_for_line("GET / 200")


def test_an_unknown_path_is_404_and_logged(server: RunningServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url + "/missing", timeout=LINE_TIMEOUT)
    caught.value.close()

    assert caught.value.code == 404
    server.wait_for_line("GET /missing 404")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_ends_it_cleanly(server: RunningServer, stop_signal: signal.Signals) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=LINE_TIMEOUT) as response:
        response.read()
    server.wait_for_line("GET / 200")

    server.process.send_signal(stop_signal)

    server.wait_for_line("acme-web-application stopping")
    assert server.next_line() is None
    assert server.process.wait(timeout=LINE_TIMEOUT) == 0
