"""'Open terminal' on the job page: an in-page xterm.js terminal on a shell session of each rank."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support import Api, Server
from tests.web.browser import screenshot, visit


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("linus")


@pytest.fixture
def two_rank_job(api: Api) -> Iterator[str]:
    job_id = api.create(script="echo ready > marker; sleep 300", replicas=2)
    api.wait_for(job_id, "RUNNING")
    yield job_id
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def screen_text(panel: Locator) -> Locator:
    return panel.locator(".xterm-rows")


def test_a_terminal_runs_commands_resizes_and_closes_when_the_job_ends(
    server: Server, api: Api, page: Page, two_rank_job: str
) -> None:
    # Given the page of a running two-rank job
    job_id = two_rank_job
    visit(page, server, f"/jobs/{job_id}")
    expect(page.get_by_role("button", name="Open terminal (rank 0)")).to_be_visible()

    # When the terminal of rank 1 is opened and a command is typed into it
    page.get_by_role("button", name="Open terminal (rank 1)").click()
    panel = page.locator(".terminal-panel[data-rank='1']")
    expect(panel).to_have_attribute("data-state", "open")
    expect(panel.locator(".terminal-status")).to_have_text("Connected")
    page.keyboard.type("echo rank-$ORCHID_RANK-says-$((6*7)) in $(pwd); cat marker\n")

    # Then its output appears in the page: the shell runs in that rank's folder
    expect(screen_text(panel)).to_contain_text("rank-1-says-42")
    expect(screen_text(panel)).to_contain_text("ready")
    screenshot(page, "job-terminal")

    # When the window gets smaller, the terminal fits itself and tells the shell its new size
    before = panel.get_attribute("data-size")
    page.set_viewport_size({"width": 900, "height": 700})
    expect(panel).not_to_have_attribute("data-size", str(before))
    cols, rows = str(panel.get_attribute("data-size")).split("x")
    page.keyboard.type("echo size-$(stty size | tr ' ' :)\n")
    expect(screen_text(panel)).to_contain_text(f"size-{rows}:{cols}")

    # When the job is terminated, the terminal closes and says why
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    expect(panel).to_have_attribute("data-state", "closed")
    expect(panel.locator(".terminal-status")).to_have_text(
        "The job has ended: the terminal is closed."
    )
    expect(page.get_by_role("button", name="Open terminal (rank 0)")).to_be_hidden()


def test_a_shell_that_exits_closes_its_terminal_with_its_exit_code(
    server: Server, api: Api, page: Page, two_rank_job: str
) -> None:
    visit(page, server, f"/jobs/{two_rank_job}")
    page.get_by_role("button", name="Open terminal (rank 0)").click()
    panel = page.locator(".terminal-panel[data-rank='0']")
    expect(panel).to_have_attribute("data-state", "open")
    page.keyboard.type("exit 3\n")
    expect(panel).to_have_attribute("data-state", "closed")
    expect(panel.locator(".terminal-status")).to_have_text("The shell exited (code 3).")

    # Closing the panel gives the focus back to its button, which opens a new shell
    panel.get_by_role("button", name="Close terminal").click()
    expect(panel).to_have_count(0)
    expect(page.get_by_role("button", name="Open terminal (rank 0)")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".terminal-panel[data-rank='0']")).to_have_attribute("data-state", "open")
