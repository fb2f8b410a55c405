"""The job page: a shell-script job made with the form, its logs arriving live, extended, then
terminated; logs of several ranks, the log download, and a follow that reconnects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from tests.support import Api, Server
from tests.web.browser import PHONE, fits_width, new_context, screenshot, tab_order, visit

SCRIPT = """\
echo "Starting on rank $ORCHID_RANK"
for i in 1 2 3 4 5 6 7 8; do echo "step $i of 8"; sleep 0.4; done
echo "warning: the cache is cold" >&2
trap 'echo "caught SIGTERM, cleaning up"' TERM
while true; do sleep 0.2; done
"""
MINUTES = 60_000


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("grace")


def log_lines(page: Page) -> list[str]:
    return page.locator(".log .line .text").all_inner_texts()


def test_a_shell_script_job_from_the_form_to_terminate(server: Server, page: Page) -> None:
    # Given the new-job form, filled in for a shell script
    visit(page, server, "/new")
    page.get_by_label("Application", exact=True).select_option(label="Shell script 1.0.0")
    page.get_by_label("Script", exact=True).fill(SCRIPT)
    page.get_by_label("Job name (optional)", exact=True).fill("hello-orchid")
    page.evaluate("document.activeElement.blur()")
    screenshot(page, "new-job")

    # When it is submitted, the job's page opens and the job runs
    page.get_by_role("button", name="Submit job").click()
    expect(page).to_have_url(re.compile(r"#/jobs/\d+$"))
    expect(page.locator("h1")).to_contain_text("hello-orchid")
    badge = page.locator(".job-head .badge")
    expect(badge).to_have_attribute("data-state", "RUNNING")

    # Its output arrives while it runs: the first step is there before the last
    log = page.locator(".log")
    expect(log).to_contain_text("step 1 of 8")
    assert "step 8 of 8" not in log.inner_text()
    expect(log).to_contain_text("step 8 of 8")
    stderr = page.locator(".log .line.stderr")
    expect(stderr).to_have_text("standard error: warning: the cache is cold")
    expect(page.locator(".log .line.stdout").first).to_have_text("Starting on rank 0")
    expect(page.locator(".connection")).to_have_text("Live")
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^59 min \d\d s$"))
    screenshot(page, "job")

    # When it is extended by 30 minutes, the expiry moves by exactly that
    expires = page.locator('[data-field="expires"]')
    before = int(expires.get_attribute("data-expires-at") or 0)
    page.get_by_role("button", name="Extend by 30 min").click()
    expect(expires).to_have_attribute("data-expires-at", str(before + 30 * MINUTES))
    expect(page.locator(".action-message")).to_contain_text(
        "Extended by 30 min. The job now expires at "
    )
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^1 h 29 min$"))
    # ... and by a custom time
    page.get_by_role("button", name="Custom…").click()
    page.get_by_label("Hours", exact=True).fill("1")
    page.get_by_label("Minutes", exact=True).fill("5")
    page.get_by_role("button", name="Extend", exact=True).click()
    expect(expires).to_have_attribute("data-expires-at", str(before + 95 * MINUTES))
    expect(page.locator(".action-message")).to_contain_text("Extended by 1 h 5 min.")

    # When Terminate is asked for but not confirmed, nothing happens
    page.get_by_role("button", name="Terminate…").click()
    dialog = page.get_by_role("dialog", name="Terminate this job?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Keep running").click()
    expect(dialog).to_be_hidden()
    expect(badge).to_have_attribute("data-state", "RUNNING")
    # When it is confirmed, the job is CANCELING (it ignores SIGTERM), then SUCCESS
    page.get_by_role("button", name="Terminate…").click()
    dialog.get_by_role("button", name="Terminate job").click()
    expect(badge).to_have_attribute("data-state", "CANCELING")
    expect(page.get_by_role("button", name="Terminating…")).to_be_disabled()
    expect(badge).to_have_attribute("data-state", "SUCCESS")
    expect(log).to_contain_text("caught SIGTERM, cleaning up")
    timeline = page.locator(".timeline li")
    assert timeline.evaluate_all("items => items.map(i => i.dataset.state)") == [
        "IN_QUEUE",
        "RUNNING",
        "CANCELING",
        "SUCCESS",
    ]
    expect(timeline.last).to_contain_text("Your job has been cancelled!")
    expect(page.locator(".connection")).to_have_text("Final")
    expect(page.get_by_text("This job has ended.")).to_be_visible()
    expect(page.locator(".countdown")).to_have_text("Ended")

    # The whole output can be downloaded as it was written
    with page.expect_download() as download:
        page.get_by_role("button", name="Download log").click()
    text = Path(download.value.path()).read_text()
    steps = "".join(f"step {i} of 8\n" for i in range(1, 9))
    assert text.startswith(f"Starting on rank 0\n{steps}")
    assert "warning: the cache is cold\n" in text
    assert "caught SIGTERM, cleaning up\n" in text

    # The specification it was submitted with is on the page
    expect(page.locator(".params")).to_contain_text("script")
    expect(page.locator(".params")).to_contain_text('echo "Starting on rank $ORCHID_RANK"')


def test_every_rank_s_output_can_be_filtered_and_downloaded(
    server: Server, api: Api, page: Page
) -> None:
    # Given a finished job of two replicas writing to stdout and stderr
    job_id = api.create(
        script='echo "out from $ORCHID_RANK"; echo "err from $ORCHID_RANK" >&2; echo "bye"',
        replicas=2,
    )
    api.wait_for(job_id, "SUCCESS")
    visit(page, server, f"/jobs/{job_id}")
    lines = page.locator(".log .line:visible")
    expect(lines).to_have_count(6)
    expect(page.locator('.log .line[data-rank="1"].stderr')).to_contain_text("err from 1")
    # When only rank 1 is shown
    page.get_by_label("Rank", exact=True).select_option("Rank 1")
    expect(lines).to_have_count(3)
    assert lines.evaluate_all("lines => lines.map(line => line.dataset.rank)") == ["1"] * 3
    expect(lines.locator(".rank").first).to_have_attribute("title", "Rank 1")
    # The download holds everything, each line saying which rank wrote it
    with page.expect_download() as download:
        page.get_by_role("button", name="Download log").click()
    assert download.value.suggested_filename == f"job-{job_id}.log"
    text = Path(download.value.path()).read_text()
    assert sorted(text.splitlines()) == sorted(
        [
            "[rank 0] out from 0",
            "[rank 0] bye",
            "[rank 0 stderr] err from 0",
            "[rank 1] out from 1",
            "[rank 1] bye",
            "[rank 1 stderr] err from 1",
        ]
    )


def test_a_dropped_follow_reconnects_without_repeating_lines(
    server: Server, api: Api, browser: Browser
) -> None:
    # Given a job that prints a numbered line every 0.2 s, followed through a socket we can cut
    job_id = api.create(script='i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.2; done')
    sockets: list[WebSocketRoute] = []

    def relay(socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        sockets.append(socket)

    context = new_context(browser, api.token)
    page = context.new_page()
    page.route_web_socket(re.compile(r"/api/jobs$"), relay)
    visit(page, server, f"/jobs/{job_id}")
    expect(page.locator(".log")).to_contain_text("line 3")
    # When the connection drops
    sockets[0].close()
    expect(page.locator(".connection")).to_have_text("Reconnecting…")
    # Then the page reconnects, replays the log from the start and carries on with the tail
    expect(page.locator(".connection")).to_have_text("Live")
    seen = len(log_lines(page))
    expect(page.locator(".log")).to_contain_text(f"line {seen + 5}")
    lines = log_lines(page)
    assert lines == [f"line {n}" for n in range(1, len(lines) + 1)]
    assert len(sockets) == 2
    context.close()
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


GAP_TO_BOTTOM = "e => e.scrollHeight - e.scrollTop - e.clientHeight"


def test_the_log_follows_its_tail_until_the_reader_scrolls_up(
    server: Server, api: Api, page: Page
) -> None:
    # Given a job that wrote more than the log panel holds and keeps writing
    job_id = api.create(
        script="seq 1 60; i=60; while true; do i=$((i+1)); echo $i; sleep 0.1; done"
    )
    visit(page, server, f"/jobs/{job_id}")
    log = page.locator(".log")
    expect(log).to_contain_text("65")
    # Then the newest lines are in view
    assert log.evaluate(GAP_TO_BOTTOM) <= 8
    # When the reader scrolls up, new lines no longer move the view
    log.evaluate("e => { e.scrollTop = 0; }")
    jump = page.get_by_role("button", name="↓ Jump to latest")
    expect(jump).to_be_visible()
    seen = len(log_lines(page))
    expect(log).to_contain_text(str(seen + 5))
    assert log.evaluate("e => e.scrollTop") == 0
    # When they jump to the latest line, the view follows the tail again
    jump.click()
    expect(jump).to_be_hidden()
    seen = len(log_lines(page))
    expect(log).to_contain_text(str(seen + 5))
    assert log.evaluate(GAP_TO_BOTTOM) <= 8
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_the_job_s_controls_are_reachable_with_the_keyboard(
    server: Server, api: Api, page: Page
) -> None:
    job_id = api.create(name="keyboard", script="echo ready; sleep 60", hours=1)
    visit(page, server, f"/jobs/{job_id}")
    expect(page.locator(".log")).to_contain_text("ready")
    reached = tab_order(page, 18)
    position = {name: reached.index(name) for name in reached}
    controls = [
        "Extend by 30 min",
        "Extend by 1 h",
        "Custom…",
        "Terminate…",
        "Download log",
        "Job output",  # the log itself scrolls with the arrow keys
    ]
    assert all(name in position for name in controls), reached
    assert [position[name] for name in controls] == sorted(position[name] for name in controls)
    # Enter opens the confirmation on its safe choice; Escape closes it and returns the focus
    page.get_by_role("button", name="Terminate…").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Keep running")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Terminate…")).to_be_focused()
    expect(page.locator(".job-head .badge")).to_have_attribute("data-state", "RUNNING")
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


def test_on_a_phone_the_job_page_does_not_scroll_sideways(
    server: Server, api: Api, browser: Browser
) -> None:
    job_id = api.create(name="phone-check", script="echo hello from a phone", hours=1)
    api.wait_for(job_id, "SUCCESS")
    context = new_context(browser, api.token, viewport=PHONE)
    page = context.new_page()
    visit(page, server, f"/jobs/{job_id}")
    expect(page.locator(".log")).to_contain_text("hello from a phone")
    assert fits_width(page)
    context.close()


def test_an_unknown_job_says_so(server: Server, page: Page) -> None:
    visit(page, server, "/jobs/999999")
    expect(page.get_by_role("heading", name="Job 999999 was not found")).to_be_visible()
