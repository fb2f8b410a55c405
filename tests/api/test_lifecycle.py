"""Jobs really run: exit codes, replicas, expiry, capacity queueing, terminate grace, browse."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support import Api, Server, logs_of


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two CPUs of capacity whatever the machine, and a 1 s terminate grace period."""
    srv = Server(
        tmp_path_factory.mktemp("lifecycle"),
        env={"ORCHID_LOCAL_CPUS": "2", "ORCHID_LOCAL_MEMORY_GIB": "16"},
    ).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("carol")


def last_status(job: dict[str, object]) -> str:
    return str(job["updates"][-1]["status"])  # type: ignore[index]


def test_an_exit_code_is_reported_and_is_still_success(api: Api) -> None:
    job_id = api.create(script="echo about to fail; exit 3")
    job = api.wait_for(job_id, "SUCCESS", "FAILURE")
    assert job["status"]["state"] == "SUCCESS"
    assert last_status(job) == "Your job has completed (exit code 3)"


def test_replicas_run_with_their_rank_and_log_separately(api: Api) -> None:
    job_id = api.create(
        script='echo "rank $ORCHID_RANK of $ORCHID_REPLICAS in job $ORCHID_JOB_ID"; echo oops >&2',
        replicas=2,
    )
    frames = list(api.follow(job_id))
    stdout = logs_of(frames)
    assert stdout == {
        0: f"rank 0 of 2 in job {job_id}\n",
        1: f"rank 1 of 2 in job {job_id}\n",
    }
    assert logs_of(frames, "stderr") == {0: "oops\n", 1: "oops\n"}


def test_a_job_expires_within_a_second_of_its_deadline(api: Api) -> None:
    job_id = api.create(script="sleep 60", seconds=2)
    running = api.wait_for(job_id, "RUNNING")
    deadline = running["status"]["expiresAt"]
    assert deadline == running["status"]["startedAt"] + 2000
    expired = api.wait_for(job_id, "EXPIRED", "SUCCESS", "FAILURE", timeout=10)
    assert expired["status"]["state"] == "EXPIRED"
    assert expired["status"]["expiresAt"] is None
    overshoot = expired["updates"][-1]["timestamp"] - deadline
    assert 0 <= overshoot < 1000


def test_an_extension_postpones_expiry(api: Api) -> None:
    job_id = api.create(script="sleep 60", seconds=1)
    api.wait_for(job_id, "RUNNING")
    api.http.post(
        "/api/jobs/extend",
        json={
            "items": [{"jobId": job_id, "requestedTime": {"hours": 0, "minutes": 0, "seconds": 2}}]
        },
    )
    time.sleep(1.5)
    assert api.retrieve(job_id)["status"]["state"] == "RUNNING"
    assert api.wait_for(job_id, "EXPIRED", timeout=5)["status"]["state"] == "EXPIRED"


def test_jobs_that_do_not_fit_wait_in_queue_first_come_first_served(api: Api) -> None:
    # Given two 1-CPU jobs filling the two CPUs
    first = api.create(script="sleep 30")
    second = api.create(script="sleep 30")
    api.wait_for(first, "RUNNING")
    api.wait_for(second, "RUNNING")
    # When a 2-CPU job and then a 1-CPU job arrive, both wait (the small one does not overtake)
    big = api.create(script="echo big", product="example-compute-large")
    small = api.create(script="echo small")
    time.sleep(0.3)
    assert api.retrieve(big)["status"]["state"] == "IN_QUEUE"
    assert api.retrieve(small)["status"]["state"] == "IN_QUEUE"
    assert "waiting for resources" in last_status(api.retrieve(big))
    # When the running jobs end, the big one runs first, then the small one
    api.http.post("/api/jobs/terminate", json={"items": [{"id": first}, {"id": second}]})
    big_job = api.wait_for(big, "SUCCESS")
    small_job = api.wait_for(small, "SUCCESS")
    big_start = next(u["timestamp"] for u in big_job["updates"] if u["state"] == "RUNNING")
    small_start = next(u["timestamp"] for u in small_job["updates"] if u["state"] == "RUNNING")
    assert big_start <= small_start


def test_terminating_a_queued_job_cancels_it(api: Api) -> None:
    blockers = [api.create(script="sleep 30") for _ in range(2)]
    for b in blockers:
        api.wait_for(b, "RUNNING")
    queued = api.create(script="echo never")
    api.http.post("/api/jobs/terminate", json={"items": [{"id": queued}]})
    job = api.wait_for(queued, "SUCCESS")
    assert last_status(job) == "Your job has been cancelled!"
    assert [u["state"] for u in job["updates"] if u["state"]] == [
        "IN_QUEUE",
        "CANCELING",
        "SUCCESS",
    ]
    api.http.post("/api/jobs/terminate", json={"items": [{"id": b} for b in blockers]})


def test_terminate_sends_sigterm_then_sigkill_after_the_grace_period(
    api: Api, server: Server
) -> None:
    # Given a job that ignores SIGTERM (the server's grace period is 1 s)
    job_id = api.create(script="trap 'echo got TERM' TERM; while true; do sleep 0.1; done")
    api.wait_for(job_id, "RUNNING")
    time.sleep(0.2)
    # When it is terminated
    started = time.monotonic()
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    assert api.retrieve(job_id)["status"]["state"] == "CANCELING"
    job = api.wait_for(job_id, "SUCCESS", timeout=10)
    elapsed = time.monotonic() - started
    # Then it saw SIGTERM, survived it, and was killed after about a second
    assert "got TERM" in (server.data_dir / "jobs" / job_id / "rank-0.stdout").read_text()
    assert 0.9 <= elapsed < 5
    assert last_status(job) == "Your job has been cancelled!"


def test_browse_pages_newest_first_with_filters(api: Api) -> None:
    ids = [api.create(script="true", name=f"page-{i}") for i in range(5)]
    for job_id in ids:
        api.wait_for(job_id, "SUCCESS")
    page1 = api.http.get(
        "/api/jobs/browse", params={"itemsPerPage": 2, "filterState": "SUCCESS"}
    ).json()
    assert page1["itemsPerPage"] == 2 and page1["next"] is not None
    page2 = api.http.get(
        "/api/jobs/browse",
        params={"itemsPerPage": 2, "filterState": "SUCCESS", "next": page1["next"]},
    ).json()
    newest = [j["id"] for j in page1["items"] + page2["items"]]
    assert newest == sorted(newest, key=int, reverse=True)
    assert newest[:2] == ids[::-1][:2]
    assert all(j["updates"] == [] for j in page1["items"])  # without includeUpdates
    with_updates = api.http.get(
        "/api/jobs/browse", params={"itemsPerPage": 1, "includeUpdates": "true"}
    ).json()
    assert with_updates["items"][0]["updates"]
    found = api.http.post(
        "/api/jobs/search", json={"query": "page-3", "flags": {"filterApplication": "shell-script"}}
    ).json()
    assert [j["id"] for j in found["items"]] == [ids[3]]
    top_level_flags = api.http.post(
        "/api/jobs/search", json={"query": "page", "filterIds": ",".join(ids[:2])}
    ).json()
    assert sorted(j["id"] for j in top_level_flags["items"]) == sorted(ids[:2])


def test_catalog_reads(api: Api) -> None:
    app = api.http.get(
        "/api/hpc/apps/byNameAndVersion",
        params={"appName": "acme-web-application", "appVersion": "1.0.0"},
    ).json()
    assert app["metadata"]["name"] == "acme-web-application"
    assert app["invocation"]["tool"]["name"]
    products = api.http.get(
        "/api/products/browse", params={"itemsPerPage": 50, "filterArea": "COMPUTE"}
    ).json()
    names = [p["name"] for p in products["items"]]
    assert "example-compute" in names and "example-compute-large" in names
    support = api.http.get("/api/jobs/retrieveProducts").json()
    entry = support["productsByProvider"]["example"][0]
    assert entry["support"]["native"]["enabled"] is True
    assert entry["support"]["native"]["timeExtension"] is True
    apps = api.http.get("/api/hpc/apps/browse").json()
    assert {"acme-web-application", "shell-script"} <= {
        a["metadata"]["name"] for a in apps["items"]
    }


def test_openapi_describes_every_route(server: Server) -> None:
    import httpx

    spec = httpx.get(server.url + "/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {
        "/api/jobs",
        "/api/jobs/retrieve",
        "/api/jobs/browse",
        "/api/jobs/search",
        "/api/jobs/extend",
        "/api/jobs/terminate",
        "/api/jobs/retrieveProducts",
        "/api/hpc/apps/byNameAndVersion",
        "/api/hpc/apps/browse",
        "/api/products/browse",
    }
    retrieve_params = {p["name"] for p in paths["/api/jobs/retrieve"]["get"]["parameters"]}
    assert {"id", "includeUpdates", "includeProduct", "filterState"} <= retrieve_params


def test_late_followers_get_every_line_exactly_once(api: Api) -> None:
    # Given a job printing 300 numbered lines over about 1.5 s
    job_id = api.create(script="for i in $(seq 1 300); do echo line $i; sleep 0.005; done")
    expected = "".join(f"line {i}\n" for i in range(1, 301))
    early = api.follow(job_id)
    early_frames = [next(early)]
    # When a second follower joins while the job is printing
    api.wait_for(job_id, "RUNNING")
    time.sleep(0.5)
    late_frames = list(api.follow(job_id))
    early_frames.extend(early)
    # Then both saw every line once, in order, and the stream ended with the final state
    assert logs_of(early_frames) == {0: expected}
    assert logs_of(late_frames) == {0: expected}
    for frames in (early_frames, late_frames):
        assert frames[-1]["status"] == 200
        assert frames[-2]["payload"]["newStatus"]["state"] == "SUCCESS"
