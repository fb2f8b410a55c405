"""Every bad input answers 4xx with {"why", "errorCode"} and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Api, Server, job_spec


@pytest.fixture(scope="module")
def alice(server: Server) -> Api:
    return server.user("alice")


@pytest.fixture(scope="module")
def bob(server: Server) -> Api:
    return server.user("bob")


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"why", "errorCode"}
    assert isinstance(body["why"], str) and body["why"]
    if code is not None:
        assert body["errorCode"] == code
    return dict(body)


def job_count(api: Api) -> int:
    page = api.http.get("/api/jobs/browse", params={"itemsPerPage": 1000}).json()
    return len(page["items"])


def create(api: Api, **changes: Any) -> httpx.Response:
    return api.http.post("/api/jobs", json={"items": [job_spec(script="true") | changes]})


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"application": {"name": "no-such-app", "version": "1.0.0"}}, "UNKNOWN_APPLICATION"),
        (
            {"product": {"id": "nope", "category": "example-compute", "provider": "example"}},
            "UNKNOWN_PRODUCT",
        ),
        ({"replicas": 0}, "INVALID_REPLICAS"),
        ({"replicas": -3}, "INVALID_REPLICAS"),
        ({"timeAllocation": {"hours": 0, "minutes": 0, "seconds": 0}}, "INVALID_TIME_ALLOCATION"),
        ({"timeAllocation": {"hours": -1, "minutes": 0, "seconds": 0}}, None),
        ({"parameters": None}, "MISSING_PARAMETER"),
        ({"parameters": {"script": {"type": "integer", "value": 3}}}, "INVALID_PARAMETER"),
        (
            {
                "parameters": {
                    "script": {"type": "text", "value": "x"},
                    "nope": {"type": "text", "value": "y"},
                }
            },
            "UNKNOWN_PARAMETER",
        ),
        ({"parameters": {"script": {"type": "nonsense", "value": "x"}}}, None),
        ({"replicas": "two"}, None),
        ({"application": None}, None),
        ({"product": {"id": "example-compute"}}, "MISSING_FIELD"),
    ],
)
def test_a_bad_create_is_refused_and_stores_nothing(
    alice: Api, changes: dict[str, Any], code: str | None
) -> None:
    before = job_count(alice)
    assert_error(create(alice, **changes), 400, code)
    assert job_count(alice) == before


def test_a_product_too_big_for_the_machine_is_refused(alice: Api) -> None:
    assert_error(create(alice, replicas=10_000), 400, "INSUFFICIENT_CAPACITY")


@pytest.mark.parametrize("path", ["/api/jobs", "/api/jobs/extend", "/api/jobs/search"])
def test_json_nested_too_deeply_is_refused(alice: Api, path: str) -> None:
    # It used to exhaust the JSON parser's recursion: a 500, and the connection reset.
    deep = b'{"items": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
    assert_error(alice.http.post(path, content=deep), 400, "MALFORMED_JSON")


def test_malformed_json_and_wrong_shapes(alice: Api) -> None:
    assert_error(alice.http.post("/api/jobs", content=b"{not json"), 400, "MALFORMED_JSON")
    assert_error(alice.http.post("/api/jobs", json={"items": []}), 400)
    assert_error(alice.http.post("/api/jobs", json=[1, 2]), 400)
    assert_error(
        alice.http.post("/api/jobs/extend", json={"items": [{"jobId": "1"}]}), 400, "MISSING_FIELD"
    )
    assert_error(alice.http.get("/api/jobs/retrieve"), 400, "MISSING_FIELD")
    assert_error(
        alice.http.get("/api/jobs/retrieve", params={"id": "1", "includeUpdates": "maybe"}), 400
    )
    assert_error(alice.http.get("/api/jobs/browse", params={"itemsPerPage": "many"}), 400)
    assert_error(alice.http.get("/api/jobs/browse", params={"filterState": "SLEEPING"}), 400)
    assert_error(alice.http.get("/api/jobs/browse", params={"next": "abc"}), 400, "INVALID_NEXT")


def test_a_bulk_create_is_all_or_nothing(alice: Api) -> None:
    before = job_count(alice)
    good = job_spec(script="true")
    bad = job_spec(script="true") | {"replicas": 0}
    response = alice.http.post("/api/jobs", json={"items": [good, bad]})
    body = assert_error(response, 400, "INVALID_REPLICAS")
    assert body["why"].startswith("item 1:")
    assert job_count(alice) == before


def test_unknown_and_foreign_jobs_are_not_found(alice: Api, bob: Api) -> None:
    job_id = alice.create(script="sleep 30")
    for api, jid in ((alice, "999999999"), (alice, "not-a-number"), (bob, job_id)):
        assert_error(api.http.get("/api/jobs/retrieve", params={"id": jid}), 404, "JOB_NOT_FOUND")
        extend = {
            "items": [{"jobId": jid, "requestedTime": {"hours": 1, "minutes": 0, "seconds": 0}}]
        }
        assert_error(api.http.post("/api/jobs/extend", json=extend), 404)
        assert_error(api.http.post("/api/jobs/terminate", json={"items": [{"id": jid}]}), 404)
    # Bob's attempts changed nothing, and he cannot see Alice's job in his list
    assert alice.retrieve(job_id)["status"]["state"] in ("IN_QUEUE", "RUNNING")
    assert job_id not in [j["id"] for j in bob.http.get("/api/jobs/browse").json()["items"]]
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_extending_badly(alice: Api) -> None:
    ended = alice.create(script="true", hours=1)
    alice.wait_for(ended, "SUCCESS")
    hour = {"hours": 1, "minutes": 0, "seconds": 0}
    assert_error(
        alice.http.post(
            "/api/jobs/extend", json={"items": [{"jobId": ended, "requestedTime": hour}]}
        ),
        409,
        "JOB_NOT_ACTIVE",
    )
    running = alice.create(script="sleep 30", hours=1)
    zero = {"hours": 0, "minutes": 0, "seconds": 0}
    assert_error(
        alice.http.post(
            "/api/jobs/extend", json={"items": [{"jobId": running, "requestedTime": zero}]}
        ),
        400,
        "INVALID_TIME_ALLOCATION",
    )
    unlimited = alice.create(script="sleep 30")
    assert_error(
        alice.http.post(
            "/api/jobs/extend", json={"items": [{"jobId": unlimited, "requestedTime": hour}]}
        ),
        400,
        "NO_TIME_ALLOCATION",
    )
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": running}, {"id": unlimited}]})


def test_terminating_a_final_job_is_a_no_op(alice: Api) -> None:
    job_id = alice.create(script="true")
    done = alice.wait_for(job_id, "SUCCESS")
    response = alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    assert response.status_code == 200 and response.json() == {"responses": [{}]}
    assert alice.retrieve(job_id)["updates"] == done["updates"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwdw=="}]
)
def test_no_token_or_a_bad_token_is_unauthorized(server: Server, headers: dict[str, str]) -> None:
    for method, path in [
        ("POST", "/api/jobs"),
        ("GET", "/api/jobs/retrieve?id=1"),
        ("GET", "/api/jobs/browse"),
        ("POST", "/api/jobs/search"),
        ("POST", "/api/jobs/extend"),
        ("POST", "/api/jobs/terminate"),
        ("GET", "/api/jobs/retrieveProducts"),
        ("GET", "/api/hpc/apps/byNameAndVersion?appName=shell-script&appVersion=1.0.0"),
        ("GET", "/api/hpc/apps/browse"),
        ("GET", "/api/products/browse"),
    ]:
        response = httpx.request(method, server.url + path, headers=headers, json={"items": []})
        assert_error(response, 401)


def test_follow_refuses_bad_tokens_and_foreign_jobs(alice: Api, bob: Api) -> None:
    job_id = alice.create(script="sleep 30")
    frames = list(bob.follow(job_id))
    assert frames == [
        {
            "type": "response",
            "streamId": "0",
            "status": 404,
            "payload": {
                "why": f"permission denied or job not found ({job_id})",
                "errorCode": "JOB_NOT_FOUND",
            },
        }
    ]
    intruder = Api(alice.url, "not-a-token")
    [frame] = list(intruder.follow(job_id))
    intruder.close()
    assert frame["status"] == 401 and frame["payload"]["errorCode"] == "INVALID_TOKEN"
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_duplicate_jobs_are_refused_unless_allowed(alice: Api) -> None:
    spec = job_spec(script="sleep 30", name="dup", allow_duplicate=False)
    first = alice.http.post("/api/jobs", json={"items": [spec]})
    assert first.status_code == 200
    job_id = first.json()["responses"][0]["id"]
    assert_error(alice.http.post("/api/jobs", json={"items": [spec]}), 409, "DUPLICATE_JOB")
    allowed = alice.http.post("/api/jobs", json={"items": [spec | {"allowDuplicateJob": True}]})
    assert allowed.status_code == 200
    # Once the first has ended, the same job may run again
    alice.http.post(
        "/api/jobs/terminate", json={"items": [{"id": job_id}, allowed.json()["responses"][0]]}
    )
    alice.wait_for(job_id, "SUCCESS")
    again = alice.http.post("/api/jobs", json={"items": [spec]})
    assert again.status_code == 200
    alice.http.post("/api/jobs/terminate", json={"items": again.json()["responses"]})
