"""Interactive sessions on the job page: "Open interface" of a running WEB job, per rank."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support import Api, Server
from tests.web.browser import screenshot, visit


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("ada")


@pytest.fixture
def two_rank_web_job(api: Api) -> Iterator[str]:
    greeting = {"greeting": {"type": "text", "value": "Welcome to the acme interface"}}
    job_id = api.create(app="acme-web-application", replicas=2, parameters=greeting)
    api.wait_for(job_id, "RUNNING")
    yield job_id
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_open_interface_opens_each_rank_in_a_new_tab(
    server: Server, api: Api, page: Page, two_rank_web_job: str
) -> None:
    job_id = two_rank_web_job
    visit(page, server, f"/jobs/{job_id}")
    rank1 = page.get_by_role("link", name="Open interface (rank 1)")
    expect(page.get_by_role("link", name="Open interface (rank 0)")).to_be_visible()
    expect(rank1).to_have_attribute(
        "href", re.compile(rf"^{re.escape(server.url)}/sessions/{job_id}/1/\?orchid-session=\S+$")
    )
    screenshot(page, "job-web")

    context: BrowserContext = page.context
    with context.expect_page() as opening:
        rank1.click()
    tab = opening.value
    tab.wait_for_load_state()
    # The application may still be opening its port: reload until it answers.
    for _ in range(100):
        if tab.locator("h1").count():
            break
        tab.wait_for_timeout(100)
        tab.reload()
    expect(tab.locator("h1")).to_have_text("Welcome to the acme interface")
    expect(tab.locator("#rank")).to_have_text("1")
    assert tab.url == f"{server.url}/sessions/{job_id}/1/"
    assert tab.evaluate("window.opener === null")
    screenshot(tab, "session-web")

    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    expect(page.locator(".sessions")).to_be_hidden()
    tab.reload()
    expect(tab.locator("body")).to_contain_text("SESSION_ENDED")


def test_a_batch_job_offers_no_interface(server: Server, api: Api, page: Page) -> None:
    job_id = api.create(script="sleep 30")
    api.wait_for(job_id, "RUNNING")
    visit(page, server, f"/jobs/{job_id}")
    expect(page.get_by_role("button", name="Terminate…")).to_be_visible()
    expect(page.get_by_role("link", name="Open interface")).to_have_count(0)
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
