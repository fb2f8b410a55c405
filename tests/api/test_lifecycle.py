"""Jobs through the API beyond the provider contract (tests/contract runs exit codes, replicas,
expiry, extension, terminate and late followers on every provider): the local provider's
first-come-first-served queue, browse and search, the catalog reads and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import Api, Server, wait_until


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


def test_jobs_that_do_not_fit_wait_in_queue_first_come_first_served(api: Api) -> None:
    # Given two 1-CPU jobs filling the two CPUs
    first = api.create(script="sleep 30")
    second = api.create(script="sleep 30")
    api.wait_for(first, "RUNNING")
    api.wait_for(second, "RUNNING")
    # When a 2-CPU job and then a 1-CPU job arrive, both wait (the small one does not overtake)
    big = api.create(script="echo big", product="example-compute-large")
    small = api.create(script="echo small")
    wait_until(
        lambda: "waiting for resources" in last_status(api.retrieve(big)),
        f"job {big} to say why it waits",
    )
    assert api.retrieve(big)["status"]["state"] == "IN_QUEUE"
    assert api.retrieve(small)["status"]["state"] == "IN_QUEUE"
    # When the running jobs end, the big one runs first, then the small one
    api.http.post("/api/jobs/terminate", json={"items": [{"id": first}, {"id": second}]})
    big_job = api.wait_for(big, "SUCCESS")
    small_job = api.wait_for(small, "SUCCESS")
    big_start = next(u["timestamp"] for u in big_job["updates"] if u["state"] == "RUNNING")
    small_start = next(u["timestamp"] for u in small_job["updates"] if u["state"] == "RUNNING")
    assert big_start <= small_start


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
