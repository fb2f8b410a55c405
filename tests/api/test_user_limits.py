"""Per-user limits at create: queued jobs, active jobs, and jobs per minute (429 with why and
errorCode; Retry-After for the rate). Every user has them, one user's jobs never count for another."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.test_bad_input import assert_error
from tests.support import Api, Server, job_spec

LONG = "sleep 60"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "ORCHID_LOCAL_CPUS": "2",
        "ORCHID_MAX_ACTIVE_JOBS_PER_USER": "3",
        "ORCHID_MAX_QUEUED_JOBS_PER_USER": "3",
        "ORCHID_CREATES_PER_MINUTE_PER_USER": "5",
    }
    srv = Server(tmp_path_factory.mktemp("orchid-limits"), env=env).start()
    try:
        yield srv
    finally:
        srv.close()


def create(api: Api, count: int, script: str = LONG) -> list[str]:
    response = api.http.post("/api/jobs", json={"items": [job_spec(script=script)] * count})
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["responses"]]


def test_per_user_limits(server: Server) -> None:
    alice, bob, carol = server.user("alice"), server.user("bob"), server.user("carol")
    one = {"items": [job_spec(script=LONG)]}

    # Given alice has three active jobs (two running on the two CPUs, one queued)
    jobs = create(alice, 3)
    alice.wait_for(jobs[1], "RUNNING")

    # Then a fourth is refused: at most three may be active
    assert_error(alice.http.post("/api/jobs", json=one), 429, "TOO_MANY_ACTIVE_JOBS")

    # And bob is not held back by alice's jobs, until he has three in the queue himself
    # (new jobs are queued first, so a bulk create counts whole against the queue)
    create(bob, 3)
    refused = bob.http.post("/api/jobs", json=one)
    assert_error(refused, 429, "TOO_MANY_QUEUED_JOBS")

    # And carol, who may create five jobs a minute, is told when to come back
    create(carol, 1, script="true")
    limited = carol.http.post("/api/jobs", json={"items": [job_spec(script="true")] * 5})
    assert_error(limited, 429, "RATE_LIMITED")
    assert int(limited.headers["Retry-After"]) >= 1

    # When alice's queued job is cancelled, she may create one again
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": jobs[2]}]})
    alice.wait_for(jobs[2], "SUCCESS")
    create(alice, 1)

    for api in (alice, bob):
        ids = [j["id"] for j in api.http.get("/api/jobs/browse").json()["items"]]
        api.http.post("/api/jobs/terminate", json={"items": [{"id": i} for i in ids]})
