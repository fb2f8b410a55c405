"""A private `orchid serve` for the benchmark, and a scratch PostgreSQL database when asked for.

Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import URL, make_url

ORCHID = [sys.executable, "-m", "orchid.cli.main"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident set size of a process (VmRSS of /proc/<pid>/status), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user + system) of a process, and of its children it has waited for, in seconds
    (fields 14-17 of /proc/<pid>/stat)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rfind(")") + 2 :].split()
    tick = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / tick
    children = (int(fields[13]) + int(fields[14])) / tick
    return own, children


@dataclass
class BenchServer:
    """`python -m orchid.cli.main serve` on a free loopback port with its own data directory."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    log_level: str = "info"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/jobs"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def start(self, timeout: float = 30.0) -> BenchServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            *ORCHID,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            self.log_level,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=self._env()
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"orchid serve exited:\n{self.log_path.read_text()[-4000:]}")
            try:
                httpx.get(f"{self.url}/api/jobs/retrieveProducts", timeout=1.0)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"orchid serve did not answer:\n{self.log_path.read_text()[-4000:]}")

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def rss_mib(self) -> float:
        return rss_mib(self.pid)

    def cpu_seconds(self) -> tuple[float, float]:
        return cpu_seconds(self.pid)

    def create_user(self, name: str) -> str:
        """A bearer token for a new user (the last stdout line of `orchid users create`)."""
        out = subprocess.run(
            [*ORCHID, "users", "create", name, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            env=self._env(),
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"cannot create user {name}: {out.stderr}")
        return out.stdout.strip().splitlines()[-1]


def require_loopback(url: URL) -> None:
    if url.host not in LOOPBACK:
        raise SystemExit(
            f"refusing database host {url.host!r}: the benchmark only talks to 127.0.0.1"
        )


@dataclass
class ScratchPostgres:
    """A fresh database `<name>_<random>` on the server named by `base_url`, dropped on `drop()`."""

    base_url: str
    name: str = ""

    def __post_init__(self) -> None:
        url = make_url(self.base_url)
        require_loopback(url)
        prefix = url.database or "orchid_bench"
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"

    @property
    def url(self) -> str:
        return make_url(self.base_url).set(database=self.name).render_as_string(hide_password=False)

    def _admin_uri(self) -> str:
        """A libpq URI for the server's maintenance database `postgres`."""
        url = make_url(self.base_url).set(drivername="postgresql", database="postgres")
        return url.render_as_string(hide_password=False)

    def create(self) -> ScratchPostgres:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._admin_uri(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        return self

    def drop(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._admin_uri(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def server_version(self) -> str:
        import psycopg

        with psycopg.connect(self._admin_uri(), connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"
