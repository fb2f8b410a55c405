"""A create of thousands of jobs never holds up other calls or the expiry timer (issue 12).

Before: one create of 5,000 trivial jobs held the event loop for its whole length (body parsing,
validation, one transaction, every submission): a concurrent retrieve waited 12.9 s and a job with
a 2 s allocation expired 6.7 s late. Now the body is read item by item and the work is done in
small steps that yield to the event loop (service/pacing.py).

The bounds asserted are generous (the machine running the suite may be busy); the figures measured
are printed. Design 3 says a job expires within one second of its deadline.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import Server, job_spec

ITEMS = 5000
MAX_RETRIEVE_SECONDS = 1.0
MEDIAN_RETRIEVE_SECONDS = 0.25
MAX_EXPIRY_LATENESS_MS = 1000


@pytest.fixture
def server(tmp_path: Path) -> Any:
    server = Server(
        tmp_path / "server",
        env={
            "ORCHID_MAX_BULK_ITEMS": str(ITEMS),
            "ORCHID_MAX_BODY_BYTES": str(8 * 1024 * 1024),
            "ORCHID_MAX_QUEUED_JOBS_PER_USER": str(2 * ITEMS),
            "ORCHID_MAX_ACTIVE_JOBS_PER_USER": str(2 * ITEMS),
            "ORCHID_CREATES_PER_MINUTE_PER_USER": str(2 * ITEMS),
            # Two CPUs: one for a blocker, one for the job that expires. The bulk's jobs need
            # both, so they all wait in the queue: what is measured is the create itself.
            "ORCHID_LOCAL_CPUS": "2",
            "ORCHID_LOCAL_MEMORY_GIB": "4",
        },
    ).start(timeout=60)
    try:
        yield server
    finally:
        server.close()


@pytest.mark.timeout(600)
def test_retrieve_and_expiry_stay_on_time_during_a_5000_item_create(server: Server) -> None:
    # Given a blocker holding one CPU and a job on the other that expires one second after it
    # starts,
    carol, bob, alice = server.user("carol"), server.user("bob"), server.user("alice")
    big = {"items": [job_spec(script="true", product="example-compute-large")] * ITEMS}
    blocker = carol.create(script="sleep 600")
    carol.wait_for(blocker, "RUNNING")
    expiring = bob.create(script="sleep 600", seconds=1)
    bob.wait_for(expiring, "RUNNING")

    # when Alice creates 5,000 jobs in one request
    outcome: dict[str, Any] = {}

    def create() -> None:
        outcome["started_ms"] = time.time() * 1000
        response = alice.http.post("/api/jobs", json=big, timeout=httpx.Timeout(600))
        outcome["ended_ms"] = time.time() * 1000
        outcome["response"] = response

    creating = threading.Thread(target=create)
    creating.start()
    # then Bob's retrieves are answered all along,
    latencies = []
    while creating.is_alive():
        started = time.perf_counter()
        bob.retrieve(expiring)
        latencies.append(time.perf_counter() - started)
    creating.join()
    response = outcome["response"]
    assert response.status_code == 200, response.text
    assert len(response.json()["responses"]) == ITEMS

    # and his job expired on time, while the create was still going on.
    job = bob.retrieve(expiring)
    assert job["status"]["state"] == "EXPIRED"
    deadline = job["status"]["startedAt"] + 1000
    expired_at = next(u["timestamp"] for u in job["updates"] if u["state"] == "EXPIRED")
    lateness = expired_at - deadline
    median = statistics.median(latencies)
    print(
        f"\n{ITEMS}-item create: {(outcome['ended_ms'] - outcome['started_ms']) / 1000:.1f} s; "
        f"{len(latencies)} retrieves meanwhile, median {median * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms; expired {lateness} ms after its deadline"
    )
    assert outcome["started_ms"] < deadline < outcome["ended_ms"], "the deadline fell outside"
    assert len(latencies) >= 10
    assert max(latencies) < MAX_RETRIEVE_SECONDS
    assert median < MEDIAN_RETRIEVE_SECONDS
    assert 0 <= lateness < MAX_EXPIRY_LATENESS_MS
    carol.http.post("/api/jobs/terminate", json={"items": [{"id": blocker}]})
