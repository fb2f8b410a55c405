"""Helpers for tests that talk to a real `orchid serve`: start it, authenticate, follow a job."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from websockets.sync.client import connect

ORCHID = [sys.executable, "-m", "orchid.cli.main"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """Poll `condition` until it returns something truthy, and return that. Fails naming `what`
    after `timeout` seconds. Tests wait for what they need this way, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        time.sleep(0.02)
    return value


def read_until(
    stream: Iterator[dict[str, Any]],
    frames: list[dict[str, Any]],
    condition: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    """Append frames of a follow stream to `frames` until `condition(frames)` holds."""
    while not condition(frames):
        frames.append(next(stream))
    return frames


def process_group_gone(pgid: int) -> bool:
    """Whether no live process (zombies aside) is left in the process group `pgid`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended while we looked
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_user(data_dir: Path, name: str, env: Mapping[str, str]) -> str:
    """A bearer token for `name`, creating the user if needed (`serve` creates 'user' itself)."""
    for command in ("create", "token"):
        out = subprocess.run(
            [*ORCHID, "users", command, name, "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        )
        if out.returncode == 0:
            return out.stdout.strip().splitlines()[-1]
    raise RuntimeError(f"cannot get a token for {name}: {out.stderr}")


@dataclass
class Server:
    """A real `orchid serve` process on a free port, with its own data directory."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    # Extra `orchid serve` arguments, e.g. ["--config", "orchid.toml"].
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    clients: list[Api] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workdir(self, job_id: str) -> Path:
        """The host folder a local job sees as /work (it sees nothing else of the host): its
        folder in its owner's Home drive (Jobs/<application>/<id>), or the provider's own."""
        for found in (self.data_dir / "files").glob(f"**/Jobs/*/{job_id}"):
            return found
        return self.data_dir / "jobs" / job_id / "work"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self, timeout: float = 60.0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the server process owns it
        self.process = subprocess.Popen(
            [
                *ORCHID,
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "ORCHID_TERMINATE_GRACE_SECONDS": "1",
                **self.env,
            },
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"orchid serve exited:\n{self.log_path.read_text()}")
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=10.0)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        # A server that never answered is stopped, not left running after the failed test.
        self.process.kill()
        self.process.wait(timeout=20)
        self.process = None
        raise RuntimeError(f"orchid serve did not answer:\n{self.log_path.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=20)
        self.process = None

    def close(self) -> None:
        """Stop the server and close every client made with `user`."""
        self.stop()
        for client in self.clients:
            client.close()

    def user(self, name: str) -> Api:
        api = Api(self.url, create_user(self.data_dir, name, self.env))
        self.clients.append(api)
        return api


class Api:
    """A small authenticated HTTP client for tests (the SDK has its own tests)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        )

    def close(self) -> None:
        self.http.close()

    def create(self, **spec: Any) -> str:
        r = self.http.post("/api/jobs", json={"items": [job_spec(**spec)]})
        assert r.status_code == 200, r.text
        return str(r.json()["responses"][0]["id"])

    def retrieve(self, job_id: str) -> dict[str, Any]:
        r = self.http.get("/api/jobs/retrieve", params={"id": job_id})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def wait_for(self, job_id: str, *states: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.retrieve(job_id)
            if job["status"]["state"] in states:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} is {job['status']['state']}, not {states}")
            time.sleep(0.02)

    def follow(self, job_id: str, timeout: float = 30.0) -> Iterator[dict[str, Any]]:
        """Every frame of one jobs.follow stream, up to and including its `response` frame."""
        ws_url = self.url.replace("http://", "ws://") + "/api/jobs"
        with connect(ws_url, open_timeout=timeout) as ws:
            ws.send(
                json.dumps(
                    {
                        "call": "jobs.follow",
                        "streamId": "0",
                        "payload": {"id": job_id},
                        "bearer": self.token,
                    }
                )
            )
            while True:
                frame = json.loads(ws.recv(timeout=timeout))
                yield frame
                if frame.get("type") == "response":
                    return


def job_spec(
    app: str = "shell-script",
    script: str | None = None,
    version: str = "1.0.0",
    product: str = "example-compute",
    replicas: int = 1,
    hours: int | None = None,
    minutes: int = 0,
    seconds: int = 0,
    allow_duplicate: bool = True,
    name: str | None = None,
    parameters: dict[str, Any] | None = None,
    category: str = "example-compute",
    provider: str = "example",
) -> dict[str, Any]:
    params = parameters
    if params is None and script is not None:
        params = {"script": {"type": "text", "value": script}}
    allocation = None
    if hours is not None or minutes or seconds:
        allocation = {"hours": hours or 0, "minutes": minutes, "seconds": seconds}
    return {
        "application": {"name": app, "version": version},
        "product": {"id": product, "category": category, "provider": provider},
        "name": name,
        "replicas": replicas,
        "allowDuplicateJob": allow_duplicate,
        "parameters": params,
        "resources": None,
        "timeAllocation": allocation,
    }


def logs_of(frames: list[dict[str, Any]], stream: str = "stdout") -> dict[int, str]:
    """Concatenate the log chunks of follow frames per rank."""
    out: dict[int, str] = {}
    for frame in frames:
        if frame.get("type") != "message":
            continue
        for entry in frame["payload"]["log"]:
            if entry.get(stream):
                out[entry["rank"]] = out.get(entry["rank"], "") + entry[stream]
    return out


def restart_while_running(server: Server, api: Api, job_id: str) -> str:
    """Restart Orchid while the job runs; check it is still RUNNING afterwards, then terminate it
    and return the stdout of its rank 0."""
    api.wait_for(job_id, "RUNNING")
    server.stop()
    server.start()
    assert api.retrieve(job_id)["status"]["state"] == "RUNNING"
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    api.wait_for(job_id, "SUCCESS")
    return logs_of(list(api.follow(job_id))).get(0, "")
