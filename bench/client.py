"""Thin clients for the Jobs API: keep-alive HTTP and a multiplexed jobs.follow WebSocket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

FINAL_STATES = frozenset({"SUCCESS", "FAILURE", "EXPIRED"})


def job_spec(script: str, *, seconds: int | None = None, name: str | None = None) -> dict[str, Any]:
    """A shell-script job on the 1-CPU product, with an optional time allocation in seconds."""
    allocation = None
    if seconds is not None:
        allocation = {"hours": 0, "minutes": 0, "seconds": seconds}
    return {
        "application": {"name": "shell-script", "version": "1.0.0"},
        "product": {"id": "example-compute", "category": "example-compute", "provider": "example"},
        "name": name,
        "replicas": 1,
        "allowDuplicateJob": True,
        "parameters": {"script": {"type": "text", "value": script}},
        "resources": None,
        "timeAllocation": allocation,
    }


class Api:
    """One keep-alive HTTP connection to the server, authenticated as one user."""

    def __init__(self, url: str, token: str, timeout: float = 30.0) -> None:
        self.url = url
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=url, headers=self.headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def create(self, *specs: dict[str, Any]) -> list[str]:
        r = self.http.post("/api/jobs", json={"items": list(specs)})
        r.raise_for_status()
        return [str(item["id"]) for item in r.json()["responses"]]

    def retrieve(self, job_id: str) -> dict[str, Any]:
        r = self.http.get("/api/jobs/retrieve", params={"id": job_id})
        r.raise_for_status()
        return dict(r.json())

    def terminate(self, *job_ids: str) -> None:
        r = self.http.post("/api/jobs/terminate", json={"items": [{"id": i} for i in job_ids]})
        r.raise_for_status()

    def browse(self, **params: str | int) -> dict[str, Any]:
        r = self.http.get("/api/jobs/browse", params=params)
        r.raise_for_status()
        return dict(r.json())

    def wait_for(
        self, job_id: str, states: frozenset[str], *, timeout: float, interval: float
    ) -> dict[str, Any]:
        """Poll retrieve until the job is in one of `states` (or final); raise on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.retrieve(job_id)
            state = job["status"]["state"]
            if state in states or state in FINAL_STATES:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {state} after {timeout:g} s")
            time.sleep(interval)


def update_timestamp(job: dict[str, Any], state: str) -> int | None:
    """The server timestamp (ms) of the first update that moved the job to `state`."""
    for update in job["updates"]:
        if update.get("state") == state:
            return int(update["timestamp"])
    return None


class FollowSocket:
    """One WebSocket on /api/jobs on which any number of jobs.follow streams are opened in turn."""

    def __init__(self, ws_url: str, token: str, timeout: float = 30.0) -> None:
        self.token = token
        self.timeout = timeout
        self.ws: ClientConnection = connect(ws_url, open_timeout=timeout, max_size=None)
        self._next_stream = 0

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> FollowSocket:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def follow(
        self, job_id: str, deadline: float | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(time.time_ns() at receipt, frame) for each frame of one stream, up to its response.
        Raises TimeoutError when no frame arrives in time or at `deadline` (time.monotonic())."""
        stream = str(self._next_stream)
        self._next_stream += 1
        self.ws.send(
            json.dumps(
                {
                    "call": "jobs.follow",
                    "streamId": stream,
                    "payload": {"id": job_id},
                    "bearer": self.token,
                }
            )
        )
        while True:
            timeout = self.timeout
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout <= 0:
                    raise TimeoutError(f"following job {job_id} ran out of time")
            raw = self.ws.recv(timeout=timeout)
            received = time.time_ns()
            frame = json.loads(raw)
            if frame.get("streamId") != stream:
                continue  # keep-alives ({"ping":"pong"}) and late frames of earlier streams
            yield received, frame
            if frame.get("type") == "response":
                return


def frame_state(frame: dict[str, Any]) -> str | None:
    """The job state a follow message announces, if any."""
    payload = frame.get("payload") or {}
    status = payload.get("newStatus")
    if status:
        return str(status["state"])
    for update in reversed(payload.get("updates") or []):
        if update.get("state"):
            return str(update["state"])
    return None
