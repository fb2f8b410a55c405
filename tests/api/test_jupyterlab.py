"""JupyterLab from the default catalog, opened through the web session proxy: its page, its REST
API and a kernel's WebSocket (1+1 executed), against a real `orchid serve` and a real JupyterLab
(scripts/ensure-jupyter installs it in /opt/orchid-jupyter)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support import IN_CI, Api, Server

JUPYTER = Path("/opt/orchid-jupyter/bin/jupyter-lab")
APP = {"app": "jupyterlab", "version": "4"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not JUPYTER.exists():
        message = f"{JUPYTER} is missing: run scripts/ensure-jupyter"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    srv = Server(tmp_path_factory.mktemp("jupyter")).start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def ada(server: Server) -> Api:
    return server.user("ada")


@pytest.fixture
def lab(ada: Api) -> Iterator[str]:
    job_id = ada.create(**APP)
    ada.wait_for(job_id, "RUNNING")
    yield job_id
    ada.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def session_url(api: Api, job_id: str) -> str:
    response = api.http.post(
        "/api/jobs/interactiveSession",
        json={"items": [{"id": job_id, "rank": 0, "sessionType": "WEB"}]},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["responses"][0]["session"]["redirectClientTo"])


def open_when_listening(browser: httpx.Client, url: str, timeout: float = 60.0) -> httpx.Response:
    """GET `url` until JupyterLab has opened its port (the proxy answers 502 until then)."""
    deadline = time.monotonic() + timeout
    while True:
        response = browser.get(url)
        if response.status_code != 502 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def message(msg_type: str, content: dict[str, Any], channel: str = "shell") -> dict[str, Any]:
    """A Jupyter messaging protocol (5.3) message, as JupyterLab sends it over the WebSocket."""
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "username": "ada",
            "session": uuid.uuid4().hex,
            "version": "5.3",
            "date": "",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": channel,
        "buffers": [],
    }


def execute(ws: ClientConnection, code: str, timeout: float = 60.0) -> dict[str, Any]:
    """Run `code` in the kernel; the data of its execute_result."""
    request = message(
        "execute_request",
        {"code": code, "silent": False, "store_history": True, "user_expressions": {}},
    )
    ws.send(json.dumps(request))
    deadline = time.monotonic() + timeout
    while True:
        reply = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if reply.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
            continue
        if reply["msg_type"] == "execute_result":
            return dict(reply["content"]["data"])
        if reply["msg_type"] == "error":
            raise AssertionError(f"the kernel failed: {reply['content']}")


def test_jupyterlab_opens_through_the_proxy_and_runs_code_in_a_kernel(ada: Api, lab: str) -> None:
    # Given a running JupyterLab job and its session URL
    url = session_url(ada, lab)
    base = urlsplit(url).path
    origin = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"

    with httpx.Client(follow_redirects=True, timeout=30.0) as browser:
        # When a browser opens it, JupyterLab's page loads, under the session's path
        page = open_when_listening(browser, url)
        assert page.status_code == 200, page.text
        assert urlsplit(str(page.url)).path == f"{base}lab"
        assert "JupyterLab" in page.text
        assert f'"baseUrl": "{base}"' in page.text
        # Orchid's own credentials reach no further than the proxy
        assert "orchid-session" not in str(page.url)

        # And its REST API answers through the proxy, with JupyterLab's XSRF check kept on
        specs = browser.get(f"{origin}{base}api/kernelspecs")
        assert specs.status_code == 200, specs.text
        assert "python3" in specs.json()["kernelspecs"]
        xsrf = browser.cookies.get("_xsrf")
        assert xsrf, "JupyterLab set no _xsrf cookie"
        refused = browser.post(f"{origin}{base}api/kernels", json={"name": "python3"})
        assert refused.status_code == 403
        created = browser.post(
            f"{origin}{base}api/kernels",
            json={"name": "python3"},
            headers={"X-XSRFToken": xsrf},
        )
        assert created.status_code == 201, created.text
        kernel = created.json()["id"]

        # And the kernel's WebSocket works through the proxy: 1+1 is 2
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
        ws_url = f"ws://{urlsplit(url).netloc}{base}api/kernels/{kernel}/channels"
        with connect(
            ws_url, additional_headers={"Cookie": cookies}, origin=origin, open_timeout=30
        ) as ws:  # type: ignore[arg-type]
            assert execute(ws, "1+1")["text/plain"] == "2"
            assert (
                execute(ws, "import os; os.getcwd() == os.path.realpath('.')")["text/plain"]
                == "True"
            )

        deleted = browser.delete(
            f"{origin}{base}api/kernels/{kernel}", headers={"X-XSRFToken": xsrf}
        )
        assert deleted.status_code == 204

    # When the job ends, the session is over
    ada.http.post("/api/jobs/terminate", json={"items": [{"id": lab}]})
    ada.wait_for(lab, "SUCCESS", "FAILURE")
    with httpx.Client(timeout=30.0) as late:
        gone = late.get(url, follow_redirects=True)
        assert gone.status_code == 410
        assert gone.json()["errorCode"] == "SESSION_ENDED"
