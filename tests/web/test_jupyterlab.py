"""JupyterLab in Chromium through the session proxy: 'Open interface' on its job page, a notebook
created from the launcher, and a cell run in its kernel."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.api.test_jupyterlab import APP, JUPYTER
from tests.support import IN_CI, Api, Server
from tests.web.browser import screenshot, visit

SLOW = 90_000  # JupyterLab's first load is a few MB of JavaScript on a loaded machine


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    if not JUPYTER.exists():
        message = f"{JUPYTER} is missing: run scripts/ensure-jupyter"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return server.user("hedy")


@pytest.fixture
def lab(api: Api) -> Iterator[str]:
    job_id = api.create(**APP)
    api.wait_for(job_id, "RUNNING")
    yield job_id
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


@pytest.mark.timeout(300)
def test_a_notebook_cell_runs_in_jupyterlab_opened_from_the_job_page(
    server: Server, api: Api, page: Page, lab: str
) -> None:
    # Given the page of a running JupyterLab job
    visit(page, server, f"/jobs/{lab}")
    link = page.get_by_role("link", name="Open interface")
    expect(link).to_have_attribute("href", re.compile(rf"/sessions/{lab}/0/\?orchid-session="))

    # When the interface is opened, JupyterLab loads in the new tab (once it listens)
    with page.context.expect_page() as opening:
        link.click()
    tab = opening.value
    tab.wait_for_load_state()
    for _ in range(600):
        if "/lab" in tab.url:
            break
        tab.wait_for_timeout(100)
        tab.reload()
    launcher = tab.locator(".jp-LauncherCard[data-category='Notebook']").first
    expect(launcher).to_be_visible(timeout=SLOW)

    # And a notebook made from the launcher runs a cell in its kernel
    launcher.click()
    cell = tab.locator(".jp-Notebook .jp-Cell .cm-content").first
    expect(cell).to_be_visible(timeout=SLOW)
    idle = tab.get_by_role("button", name="Python 3 (ipykernel) | Idle")
    expect(idle).to_be_visible(timeout=SLOW)
    cell.fill("sum(range(10)) * 2")
    expect(cell).to_have_text("sum(range(10)) * 2")
    cell.press("Shift+Enter")
    output = tab.locator(".jp-OutputArea-output").first
    expect(output).to_have_text("90", timeout=SLOW)
    screenshot(tab, "session-jupyterlab")
