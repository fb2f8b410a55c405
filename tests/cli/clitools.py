"""Running the real `orchid` command as a subprocess against a real server, and reading its output."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import ORCHID, Api, Server


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@dataclass
class Cli:
    """The `orchid` command as one user sees it: ORCHID_URL/ORCHID_TOKEN set, its own config dir."""

    url: str
    token: str
    config_home: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ORCHID_URL": self.url,
            "ORCHID_TOKEN": self.token,
            "XDG_CONFIG_HOME": str(self.config_home),
            "COLUMNS": "200",
        }

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        done = subprocess.run(
            [*ORCHID, *args],
            capture_output=True,
            text=True,
            env=env if env is not None else self.env,
            timeout=30,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        options: dict[str, Any] = {
            "stdin": subprocess.DEVNULL,
            "stdout": subprocess.PIPE,
            "stderr": subprocess.PIPE,
            "env": self.env,
        }
        return subprocess.Popen([*ORCHID, *args], **(options | kwargs))


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def run_together(cli: Cli, commands: list[tuple[str, ...]]) -> dict[tuple[str, ...], Result]:
    """Run independent commands at the same time (each is a whole Python start-up)."""
    processes = {args: cli.popen(*args) for args in commands}
    results = {}
    for args, process in processes.items():
        out, err = process.communicate(timeout=60)
        results[args] = Result(process.returncode, out.decode(), err.decode())
    return results


def cli_for(server: Server, user: str, config_home: Path) -> tuple[Cli, Api]:
    api = server.user(user)
    return Cli(server.url, api.token, config_home), api


def read_until(fd: int, needle: str, timeout: float = 20.0, seen: str = "") -> str:
    """Read from `fd` until `needle` has appeared; everything read so far (plus `seen`)."""
    text = seen
    deadline = time.monotonic() + timeout
    while needle not in text:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} did not appear in:\n{text}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # a pty whose other end closed
                chunk = b""
            if not chunk:
                raise AssertionError(f"output ended before {needle!r}:\n{text}")
            text += chunk.decode(errors="replace")
    return text


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """Exit 1, and stderr is one line 'error: ...' naming the problem; never a traceback."""
    assert result.code == 1, (result.code, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err + result.out
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
