"""A real `orchid serve` for SDK and command-line tests (SQLite, local provider, room for all jobs)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support import Server

ROOMY = {"ORCHID_LOCAL_CPUS": "64", "ORCHID_LOCAL_MEMORY_GIB": "256"}


def terminate_everything(server: Server) -> None:
    """Jobs outlive Orchid by design: stop whatever the tests left running."""
    for api in server.clients:
        page = api.http.get("/api/jobs/browse", params={"itemsPerPage": 1000}).json()
        active = [j["id"] for j in page["items"] if j["status"]["state"] not in FINAL]
        if active:
            api.http.post("/api/jobs/terminate", json={"items": [{"id": i} for i in active]})


FINAL = ("SUCCESS", "FAILURE", "EXPIRED")


@contextmanager
def running_server(data_dir: Path, args: Sequence[str] = (), **env: str) -> Iterator[Server]:
    srv = Server(data_dir, env=ROOMY | env, args=list(args)).start()
    try:
        yield srv
    finally:
        if srv.process is not None:
            terminate_everything(srv)
        srv.close()
