"""`orchid jobs open`: the session URL of a running job's web interface."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.cli.clitools import Cli, cli_for
from tests.support import Api, Server


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "opener", tmp_path_factory.mktemp("config"))


def test_open_prints_a_url_that_reaches_the_interface(
    server: Server, user: tuple[Cli, Api]
) -> None:
    cli, api = user
    job_id = api.create(app="acme-web-application", replicas=2)
    api.wait_for(job_id, "RUNNING")

    result = cli("jobs", "open", job_id, "--rank", "1")

    assert result.code == 0, result.err
    url = result.out.strip()
    assert url.startswith(f"{server.url}/sessions/{job_id}/1/?orchid-session=")
    with httpx.Client(follow_redirects=True, timeout=20) as tab:
        deadline = time.monotonic() + 20
        while (page := tab.get(url)).status_code == 502 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert page.status_code == 200
    assert "<span id='rank'>1</span>" in page.text

    as_json = cli("jobs", "open", job_id, "-o", "json")
    assert as_json.code == 0, as_json.err
    assert as_json.json()["session"]["type"] == "web"

    out_of_range = cli("jobs", "open", job_id, "--rank", "2")
    assert out_of_range.code != 0
    assert "rank 2 is out of range" in out_of_range.err
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_open_refuses_a_batch_job(user: tuple[Cli, Api]) -> None:
    cli, api = user
    job_id = api.create(script="sleep 30")
    api.wait_for(job_id, "RUNNING")

    result = cli("jobs", "open", job_id)

    assert result.code != 0
    assert "not a web application" in result.err
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
