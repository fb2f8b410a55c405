"""The jobs page: newest first, coloured states that change live, filters, paging, small screens and
the keyboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import Api, Server
from tests.web.browser import FOCUSED, PHONE, fits_width, new_context, screenshot, visit


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("ada")


@pytest.fixture(scope="module")
def jobs(api: Api) -> Iterator[dict[str, str]]:
    """A realistic list: finished, expired, cancelled, running and queued jobs (4 CPUs in all).
    Jobs outlive the server (by design), so the running ones are stopped at the end."""
    ids = {
        "report": api.create(name="nightly-report", script="echo report done"),
        "timer": api.create(name="short-timer", script="sleep 30", seconds=1),
        "cancelled": api.create(name="param-sweep", script="sleep 30", hours=1),
    }
    api.wait_for(ids["report"], "SUCCESS")
    api.wait_for(ids["timer"], "EXPIRED")
    api.http.post("/api/jobs/terminate", json={"items": [{"id": ids["cancelled"]}]})
    api.wait_for(ids["cancelled"], "SUCCESS")
    ids["sleeper"] = api.create(app="sleep", name="warm-up", parameters=seconds(600), hours=2)
    ids["render"] = api.create(
        name="render-frames", script="sleep 600", product="example-compute-large", hours=3
    )
    api.wait_for(ids["render"], "RUNNING")
    # One CPU is left, so a second large job waits.
    ids["queued"] = api.create(
        name="train-model", script="sleep 600", product="example-compute-large", hours=1
    )
    yield ids
    api.http.post("/api/jobs/terminate", json={"items": [{"id": i} for i in ids.values()]})


def seconds(n: int) -> dict[str, object]:
    return {"seconds": {"type": "integer", "value": n}}


def test_states_change_on_the_page_without_reloading(server: Server, browser: Browser) -> None:
    # (First in the module: the machine is still idle, so the job starts at once.)
    # Given the jobs page is open
    cy = server.user("cy")
    context = new_context(browser, cy.token)
    page = context.new_page()
    visit(page, server, "/jobs")
    expect(page.locator(".jobs-table tbody")).to_contain_text("No jobs yet.")
    page.evaluate("window.notReloaded = true")
    # When a job is submitted elsewhere (the CLI, say), runs and is stopped
    job_id = cy.create(name="quick-check", script="sleep 30")
    badge = page.locator(f'tr[data-job-id="{job_id}"] .badge')
    # Then it appears and its state follows, on the same page
    expect(badge).to_have_attribute("data-state", "RUNNING")
    cy.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    expect(badge).to_have_attribute("data-state", "SUCCESS")
    assert page.evaluate("window.notReloaded") is True
    context.close()


def test_jobs_are_listed_newest_first_with_their_state_and_time_left(
    server: Server, page: Page, jobs: dict[str, str]
) -> None:
    visit(page, server, "/jobs")
    rows = page.locator(".jobs-table tbody tr")
    expect(rows).to_have_count(len(jobs))
    expected_order = sorted(jobs.values(), key=int, reverse=True)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.jobId)") == expected_order

    render = page.locator(f'tr[data-job-id="{jobs["render"]}"]')
    expect(render.locator("td").nth(0)).to_contain_text("render-frames")
    expect(render.locator("td").nth(1)).to_contain_text("Shell script")
    expect(render.locator("td").nth(2)).to_have_text("example-compute-large")
    expect(render.locator(".badge")).to_have_attribute("data-state", "RUNNING")
    expect(render.locator(".badge")).to_have_text("Running")
    expect(render.locator(".time-left")).to_have_text("2 h 59 min")
    queued = page.locator(f'tr[data-job-id="{jobs["queued"]}"]')
    expect(queued.locator(".badge")).to_have_attribute("data-state", "IN_QUEUE")
    expect(queued.locator(".time-left")).to_have_text("1 h once started")
    timer = page.locator(f'tr[data-job-id="{jobs["timer"]}"]')
    expect(timer.locator(".badge")).to_have_text("Expired")
    expect(timer.locator(".time-left")).to_have_text("Ended")
    screenshot(page, "jobs")


def test_filters_by_state_and_application(server: Server, page: Page, jobs: dict[str, str]) -> None:
    visit(page, server, "/jobs")
    expect(page.locator(".jobs-table tbody tr")).to_have_count(len(jobs))
    # Only the expired one
    page.get_by_label("State").select_option("EXPIRED")
    expect(page.locator(".jobs-table tbody tr")).to_have_count(1)
    expect(page.locator(".jobs-table tbody tr")).to_have_attribute("data-job-id", jobs["timer"])
    assert page.url.endswith("#/jobs?state=EXPIRED")
    # Running jobs of the sleep application
    page.get_by_label("State").select_option("RUNNING")
    page.get_by_label("Application").select_option(label="Sleep")
    expect(page.locator(".jobs-table tbody tr")).to_have_count(1)
    expect(page.locator(".jobs-table tbody tr")).to_have_attribute("data-job-id", jobs["sleeper"])
    # Nothing matches: the page says so
    page.get_by_label("State").select_option("FAILURE")
    expect(page.locator(".jobs-table tbody")).to_have_text("No jobs match these filters.")
    # The filters survive a reload (they are in the address)
    page.reload()
    expect(page.get_by_label("State")).to_have_value("FAILURE")
    expect(page.get_by_label("Application")).to_have_value("sleep")


def test_pages_of_twenty_jobs(server: Server, browser: Browser) -> None:
    # Given a user with 23 jobs
    many = server.user("bea")
    ids = [many.create(script="true") for _ in range(23)]
    context = new_context(browser, many.token)
    page = context.new_page()
    visit(page, server, "/jobs")
    rows = page.locator(".jobs-table tbody tr")
    # Then the first page holds the newest 20, the second the other 3
    expect(rows).to_have_count(20)
    expect(rows.first).to_have_attribute("data-job-id", ids[-1])
    expect(page.get_by_role("button", name="← Newer")).to_be_disabled()
    page.get_by_role("button", name="Older →").click()
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-job-id", ids[2])
    expect(page.locator(".page-label")).to_have_text("Page 2")
    expect(page.get_by_role("button", name="Older →")).to_be_disabled()
    page.get_by_role("button", name="← Newer").click()
    expect(rows).to_have_count(20)
    expect(rows.first).to_have_attribute("data-job-id", ids[-1])
    context.close()


def test_on_a_phone_the_jobs_page_does_not_scroll_sideways(
    server: Server, api: Api, browser: Browser, jobs: dict[str, str]
) -> None:
    context = new_context(browser, api.token, viewport=PHONE)
    page = context.new_page()
    visit(page, server, "/jobs")
    expect(page.locator(".jobs-table tbody tr")).to_have_count(len(jobs))
    assert fits_width(page)
    # Each job is a card whose cells say what they are
    first = page.locator(".jobs-table tbody tr").first
    expect(first.locator("td").nth(3)).to_have_attribute("data-label", "State")
    expect(first.locator(".badge")).to_be_in_viewport()
    screenshot(page, "jobs-phone")
    context.close()


def test_the_main_controls_are_reachable_with_the_keyboard(
    server: Server, page: Page, jobs: dict[str, str]
) -> None:
    visit(page, server, "/jobs")
    expect(page.locator(".jobs-table tbody tr")).to_have_count(len(jobs))
    newest = page.locator(f'tr[data-job-id="{max(jobs.values(), key=int)}"] a.job-link')
    reached: list[str] = []
    # Tab from the top of the page to the newest job's link, noting every control on the way
    for _ in range(20):
        page.keyboard.press("Tab")
        if newest.evaluate("e => e === document.activeElement"):
            break
        reached.append(page.evaluate(FOCUSED))
    else:
        raise AssertionError(f"the first job's link was not reached; focus went to {reached}")
    assert reached == [
        "Skip to content",
        "Orchid",
        "Jobs",
        "New job",
        "Files",
        "Sign out",
        "+ New job",
        "filter-state",
        "filter-application",
    ]
    # Enter opens the job
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/#/jobs/{max(jobs.values(), key=int)}")
    expect(page.locator("h1")).to_contain_text("train-model")
