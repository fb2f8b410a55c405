"""Every input has a bound (decision 15): each answer below was a 500, a crash or an accepted
absurdity before; now it is a clear 4xx with {"why", "errorCode"} and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_bad_input import assert_error, job_count
from tests.support import Api, Server, job_spec

HUGE = 8166477797603746139391577921945


@pytest.fixture(scope="module")
def alice(server: Server) -> Api:
    return server.user("alice")


def post_raw(api: Api, path: str, body: Any) -> httpx.Response:
    """Post `body` as JSON with every non-ASCII character escaped (lone surrogates included)."""
    return api.http.post(path, content=json.dumps(body).encode())


def create_raw(api: Api, **changes: Any) -> httpx.Response:
    return post_raw(api, "/api/jobs", {"items": [job_spec(script="true") | changes]})


def script(text: str) -> dict[str, Any]:
    return {"parameters": {"script": {"type": "text", "value": text}}}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": "a\0b"}, "INVALID_TEXT"),
        ({"name": "a\ud800b"}, "INVALID_TEXT"),
        ({"name": "bell\x07"}, "INVALID_NAME"),
        ({"name": "line\nbreak"}, "INVALID_NAME"),
        ({"name": "x" * 201}, "INVALID_NAME"),
        (script("echo a\0b"), "INVALID_TEXT"),
        (script("echo \udc80"), "INVALID_TEXT"),
        (script("x" * 100_000), "PARAMETER_TOO_LARGE"),
        ({"timeAllocation": {"hours": 10**13, "minutes": 0, "seconds": 0}}, None),
        ({"timeAllocation": {"hours": 0, "minutes": 10**17, "seconds": 0}}, None),
        ({"timeAllocation": {"hours": 0, "minutes": 0, "seconds": HUGE}}, None),
        (
            {"timeAllocation": {"hours": 9000, "minutes": 0, "seconds": 0}},
            "TIME_ALLOCATION_TOO_LONG",
        ),
        ({"replicas": 10**30}, "INVALID_REPLICAS"),
        ({"replicas": 10_001}, "INVALID_REPLICAS"),
    ],
)
def test_an_unbounded_or_unstorable_create_is_refused(
    alice: Api, changes: dict[str, Any], code: str | None
) -> None:
    before = job_count(alice)
    assert_error(create_raw(alice, **changes), 400, code)
    assert job_count(alice) == before


def test_a_name_at_the_bound_and_unicode_text_are_accepted(alice: Api) -> None:
    response = create_raw(alice, name="é" * 199 + "\U0001f600", **script("echo 'ünï €'"))
    assert response.status_code == 200, response.text


def test_extend_is_bounded(alice: Api) -> None:
    job_id = alice.create(script="sleep 30", hours=1)
    for hours, code in ((10**13, None), (9000, "TIME_ALLOCATION_TOO_LONG")):
        item = {"jobId": job_id, "requestedTime": {"hours": hours, "minutes": 0, "seconds": 0}}
        assert_error(post_raw(alice, "/api/jobs/extend", {"items": [item]}), 400, code)
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


@pytest.mark.parametrize(
    "params",
    [
        {"filterCreatedBefore": str(HUGE)},
        {"filterCreatedAfter": "1e30"},
        {"filterCreatedAfter": str(-HUGE)},
        {"itemsToSkip": "1e30"},
        {"itemsToSkip": str(10**20)},
        {"itemsPerPage": str(HUGE)},
        {"filterApplication": "x" * 1000},
        {"filterApplication": "a\0b"},
        {"filterIds": ",".join(str(i) for i in range(1, 1100))},
    ],
)
def test_browse_filters_are_bounded(alice: Api, params: dict[str, str]) -> None:
    assert_error(alice.http.get("/api/jobs/browse", params=params), 400)


def test_a_search_query_is_bounded(alice: Api) -> None:
    response = alice.http.post("/api/jobs/search", json={"query": "%_" * 25_000})
    assert_error(response, 400, "QUERY_TOO_LONG")
    assert_error(post_raw(alice, "/api/jobs/search", {"query": "a\0"}), 400, "INVALID_TEXT")


def test_a_bulk_request_is_bounded(alice: Api) -> None:
    before = job_count(alice)
    items = [job_spec(script="true")] * 1001
    assert_error(alice.http.post("/api/jobs", json={"items": items}), 400, "TOO_MANY_ITEMS")
    terminate = {"items": [{"id": "1"}] * 1001}
    assert_error(alice.http.post("/api/jobs/terminate", json=terminate), 400, "TOO_MANY_ITEMS")
    assert job_count(alice) == before


def test_a_large_body_is_refused_before_it_is_read(alice: Api) -> None:
    # A 10 MB script: refused by its declared length
    body = json.dumps({"items": [job_spec(script="x" * 10_000_000)]}).encode()
    assert_error(alice.http.post("/api/jobs", content=body), 413, "REQUEST_TOO_LARGE")

    # ... and without a declared length (chunked), as soon as the bound is passed
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 100_000

    response = alice.http.post("/api/jobs", content=chunks())
    assert_error(response, 413, "REQUEST_TOO_LARGE")
    # The server goes on answering
    assert alice.http.get("/api/jobs/browse").status_code == 200


def test_a_body_without_a_token_is_refused_before_it_is_parsed(server: Server) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        for content in (b"{not json", json.dumps({"items": [job_spec(script="true")]}).encode()):
            assert_error(anonymous.post("/api/jobs", content=content), 401, "UNAUTHORIZED")
