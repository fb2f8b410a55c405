"""jobs.openInteractiveSession and the web session proxy, against a real `orchid serve`."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support import Api, Server, logs_of

WEB = "acme-web-application"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("sessions")).start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def alice(server: Server) -> Api:
    return server.user("alice")


@pytest.fixture(scope="module")
def bob(server: Server) -> Api:
    return server.user("bob")


def open_session(api: Api, job_id: str, rank: int = 0, kind: str = "WEB") -> httpx.Response:
    return api.http.post(
        "/api/jobs/interactiveSession",
        json={"items": [{"id": job_id, "rank": rank, "sessionType": kind}]},
    )


def web_url(api: Api, job_id: str, rank: int = 0) -> str:
    response = open_session(api, job_id, rank)
    assert response.status_code == 200, response.text
    return str(response.json()["responses"][0]["session"]["redirectClientTo"])


def browser() -> httpx.Client:
    """A client like a browser tab: no Orchid token, cookies kept, redirects followed."""
    return httpx.Client(follow_redirects=True, timeout=20.0)


def get_when_listening(client: httpx.Client, url: str, timeout: float = 20.0) -> httpx.Response:
    """GET `url`, again while the application has not opened its port yet (502)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url)
        if response.status_code != 502 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


@pytest.fixture
def web_job(alice: Api) -> Iterator[str]:
    job_id = alice.create(app=WEB, parameters={"greeting": {"type": "text", "value": "Hi there"}})
    alice.wait_for(job_id, "RUNNING")
    yield job_id
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_products_advertise_web_sessions(alice: Api) -> None:
    support = alice.http.get("/api/jobs/retrieveProducts").json()["productsByProvider"]
    native = support["example"][0]["support"]["native"]
    assert native["web"] is True


def test_a_web_session_reaches_the_application_through_orchid(
    server: Server, alice: Api, web_job: str
) -> None:
    response = open_session(alice, web_job)

    assert response.status_code == 200, response.text
    opened: dict[str, Any] = response.json()["responses"][0]
    assert opened["providerDomain"] == server.url
    assert opened["providerId"] == "example"
    session = opened["session"]
    assert (session["type"], session["jobId"], session["rank"]) == ("web", web_job, 0)
    url = urlsplit(session["redirectClientTo"])
    assert f"{url.scheme}://{url.netloc}" == server.url
    assert url.path == f"/sessions/{web_job}/0/"
    with browser() as tab:
        page = get_when_listening(tab, session["redirectClientTo"])
        assert page.status_code == 200, page.text
        assert "<h1>Hi there</h1>" in page.text
        assert f"<span id='job'>{web_job}</span>" in page.text
        # The token went into a cookie; the address the tab shows no longer has it.
        assert str(page.url) == f"{server.url}/sessions/{web_job}/0/"
        assert tab.get(f"{server.url}/sessions/{web_job}/0/missing").status_code == 404


def test_the_request_log_of_the_application_appears_in_follow(alice: Api, web_job: str) -> None:
    with browser() as tab:
        assert get_when_listening(tab, web_url(alice, web_job)).status_code == 200
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": web_job}]})
    alice.wait_for(web_job, "SUCCESS")

    stdout = logs_of(list(alice.follow(web_job)))[0]

    assert f"GET /sessions/{web_job}/0/ 200" in stdout.splitlines()


def test_the_session_ends_with_the_job(alice: Api, web_job: str) -> None:
    with browser() as tab:
        url = web_url(alice, web_job)
        assert get_when_listening(tab, url).status_code == 200
        alice.http.post("/api/jobs/terminate", json={"items": [{"id": web_job}]})
        alice.wait_for(web_job, "SUCCESS")

        after = tab.get(url)
        again = tab.get(str(after.url))

    assert after.status_code == 410
    assert after.json()["errorCode"] == "SESSION_ENDED"
    assert again.status_code == 410
    assert open_session(alice, web_job).json()["errorCode"] == "JOB_NOT_RUNNING"


def test_another_users_job_and_token_answer_404(server: Server, alice: Api, bob: Api) -> None:
    job_id = alice.create(app=WEB)
    alice.wait_for(job_id, "RUNNING")
    url = web_url(alice, job_id)

    refused = open_session(bob, job_id)
    assert refused.status_code == 404
    assert refused.json()["errorCode"] == "JOB_NOT_FOUND"
    # A token made for another rank, or made up, opens nothing.
    token = urlsplit(url).query.split("=", 1)[1]
    with browser() as tab:
        for wrong in (
            f"{server.url}/sessions/{job_id}/1/?orchid-session={token}",
            f"{server.url}/sessions/{job_id}/0/?orchid-session={token[:-2]}xx",
            f"{server.url}/sessions/{job_id}/0/",
            f"{server.url}/sessions/999999/0/?orchid-session={token}",
            f"{server.url}/sessions/{job_id}/",
        ):
            response = tab.get(wrong)
            assert response.status_code == 404, wrong
            assert response.json()["errorCode"] == "UNKNOWN_SESSION"
    alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


@pytest.mark.parametrize(
    ("item", "status", "code"),
    [
        ({"rank": 1}, 400, "INVALID_RANK"),
        ({"rank": -1}, 400, None),
        ({"sessionType": "VNC"}, 400, "NOT_SUPPORTED"),
        ({"sessionType": "TELNET"}, 400, None),
        ({"target": "App 1"}, 400, "UNKNOWN_TARGET"),
    ],
)
def test_bad_session_requests_are_refused(
    alice: Api, web_job: str, item: dict[str, Any], status: int, code: str | None
) -> None:
    body = {"id": web_job, "rank": 0, "sessionType": "WEB", **item}

    response = alice.http.post("/api/jobs/interactiveSession", json={"items": [body]})

    assert response.status_code == status, response.text
    assert response.json()["why"]
    if code is not None:
        assert response.json()["errorCode"] == code


def test_a_batch_job_has_no_web_interface_and_a_finished_one_no_session(alice: Api) -> None:
    job_id = alice.create(script="sleep 30")
    alice.wait_for(job_id, "RUNNING")

    refused = open_session(alice, job_id)
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "NOT_A_WEB_APPLICATION"

    alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    alice.wait_for(job_id, "SUCCESS")
    ended = open_session(alice, job_id, kind="SHELL")
    assert ended.status_code in (400, 409)


def test_orchid_credentials_never_reach_the_application(
    server: Server, alice: Api, web_job: str
) -> None:
    url = web_url(alice, web_job)
    with browser() as tab:
        assert get_when_listening(tab, url).status_code == 200
        tab.cookies.set("theirs", "1")
        # A script that sends its bearer token along, with a cookie of the application's own.
        echoed = tab.post(
            f"{server.url}/sessions/{web_job}/0/echo?x=1",
            headers={"Authorization": f"Bearer {alice.token}"},
            content=b"hello",
        ).json()

    headers = dict(echoed["headers"])
    assert (echoed["method"], echoed["path"]) == ("POST", f"/sessions/{web_job}/0/echo?x=1")
    assert echoed["bodyBytes"] == 5
    assert "authorization" not in headers
    assert headers["cookie"] == "theirs=1"
    assert alice.token not in str(echoed) and "orchid-session" not in str(echoed)
    assert headers["host"] == server.url.removeprefix("http://")


def test_large_bodies_stream_both_ways(server: Server, alice: Api, web_job: str) -> None:
    url = web_url(alice, web_job)
    size = 64 * 2**20
    sent = hashlib.sha256()

    def upload() -> Iterator[bytes]:
        chunk = bytes(range(256)) * 4096  # 1 MiB
        for _ in range(size // len(chunk)):
            sent.update(chunk)
            yield chunk

    with browser() as tab:
        assert get_when_listening(tab, url).status_code == 200
        base = f"{server.url}/sessions/{web_job}/0"
        echoed = tab.put(f"{base}/echo", content=upload()).json()
        received = 0
        with tab.stream("GET", f"{base}/bytes", params={"n": size}) as download:
            assert download.headers["content-length"] == str(size)
            for chunk in download.iter_raw():
                received += len(chunk)

    assert (echoed["bodyBytes"], echoed["bodySha256"]) == (size, sent.hexdigest())
    assert received == size


def test_websockets_reach_the_application_and_close_when_the_job_ends(
    server: Server, alice: Api, web_job: str
) -> None:
    url = web_url(alice, web_job)
    token = urlsplit(url).query.split("=", 1)[1]
    with browser() as tab:
        assert get_when_listening(tab, url).status_code == 200
    ws_url = f"ws://{urlsplit(server.url).netloc}/sessions/{web_job}/0/ws"

    with connect(ws_url, additional_headers={"Cookie": f"orchid-session={token}"}) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
        # Frames from the client are bounded by ws_max_frame_bytes (64 KiB by default).
        ws.send(b"\x00\x01" * 30_000)
        assert ws.recv(timeout=10) == b"\x00\x01" * 30_000
        alice.http.post("/api/jobs/terminate", json={"items": [{"id": web_job}]})
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=20)

    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws_url}?orchid-session={token}", open_timeout=10)
    assert refused.value.response.status_code == 410


def test_a_websocket_without_a_valid_token_is_refused(
    server: Server, alice: Api, web_job: str
) -> None:
    ws_url = f"ws://{urlsplit(server.url).netloc}/sessions/{web_job}/0/ws"
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws_url}?orchid-session=made-up", open_timeout=10)
    assert refused.value.response.status_code == 404


def test_the_proxy_keeps_no_cookie_an_application_sets(
    server: Server, alice: Api, web_job: str
) -> None:
    # Given a tab to which the application set a cookie (through the proxy)
    url = web_url(alice, web_job)
    echo = f"{server.url}/sessions/{web_job}/0/echo"
    with browser() as tab:
        assert get_when_listening(tab, url).status_code == 200
        setting = tab.get(f"{echo}?cookie=app-secret=s3cr3t")
        assert "app-secret=s3cr3t" in setting.headers.get("set-cookie", ""), (
            setting.status_code,
            setting.headers,
            setting.text[:300],
        )
    # When another tab of the session, which never got that cookie, asks the application
    with browser() as other:
        assert get_when_listening(other, url).status_code == 200
        echoed = other.get(echo).json()
    # Then the cookie is not replayed by Orchid: only the browser holds an application's cookies
    assert "s3cr3t" not in str(echoed["headers"])
