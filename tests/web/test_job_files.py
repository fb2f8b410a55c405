"""Files in the job pages: the file/folder picker of the new-job form (file parameters and the
folders a job mounts), and the link from a job's page to its output folder on the Files page."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import Api, Server
from tests.web.browser import screenshot, visit
from tests.web.test_files_page import api_upload, home_of
from tests.web.test_new_job import with_kitchen_sink


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("franklin")


def test_the_picker_fills_file_parameters_and_adds_mounts(
    server: Server, api: Api, page: Page
) -> None:
    home = home_of(api)
    # Given a file in a folder of the user's Home drive
    api_upload(api, f"/{home}/inputs/data.csv", b"a,b\n1,2\n")
    page.route("**/api/hpc/apps/browse*", with_kitchen_sink)
    visit(page, server, "/new?app=kitchen-sink")
    # When the file parameter's Browse… opens the picker, it starts in the Home drive
    page.get_by_role("button", name="Browse for Data").click()
    picker = page.locator("dialog.picker")
    expect(picker.locator("h2")).to_have_text("Choose a file for Data")
    expect(picker.locator(".breadcrumb")).to_have_text("Drives / Home")
    # When a folder is opened and a file clicked, the path is the parameter's value
    picker.get_by_role("button", name="inputs").click()
    expect(picker.locator(".breadcrumb")).to_have_text("Drives / Home / inputs")
    picker.get_by_role("button", name="data.csv").click()
    expect(picker).to_have_count(0)
    expect(page.get_by_label("Data (optional)", exact=True)).to_have_value(
        f"/{home}/inputs/data.csv"
    )

    # When a folder is added to mount: in folder mode, files cannot be chosen
    page.get_by_role("button", name="Add folder…").click()
    expect(picker.locator("h2")).to_have_text("Choose a folder to mount")
    picker.get_by_role("button", name="inputs").click()
    expect(picker.get_by_role("button", name="data.csv")).to_be_disabled()
    picker.get_by_role("button", name="Choose this folder").click()
    mount = page.locator(f"[data-mount='/{home}/inputs']")
    expect(mount).to_contain_text("at /work/inputs")
    page.get_by_label(f"Mount /{home}/inputs read-only").check()
    # And another one, then removed again
    page.get_by_role("button", name="Add folder…").click()
    picker.get_by_role("button", name="Jobs").click()
    picker.get_by_role("button", name="Choose this folder").click()
    page.get_by_role("button", name=f"Remove /{home}/Jobs").click()
    expect(page.locator("[data-mount]")).to_have_count(1)
    page.get_by_label("Count", exact=True).fill("3")
    page.get_by_label("Verbose", exact=True).select_option("Yes")
    page.get_by_label("Mode", exact=True).select_option("Fast")
    page.evaluate("document.activeElement.blur()")
    screenshot(page, "new-job-files")

    # Then the request carries the file parameter and the read-only mount
    with page.expect_request("**/api/jobs") as request:
        page.get_by_role("button", name="Submit job").click()
    sent = json.loads(request.value.post_data or "{}")["items"][0]
    assert sent["parameters"]["data"] == {
        "type": "file",
        "path": f"/{home}/inputs/data.csv",
        "readOnly": False,
    }
    assert sent["resources"] == [{"type": "file", "path": f"/{home}/inputs", "readOnly": True}]


def test_a_job_s_page_links_to_its_output_folder(server: Server, api: Api, page: Page) -> None:
    home = home_of(api)
    # Given a job that has run
    job_id = api.create(script="echo done > result.txt")
    job = api.wait_for(job_id, "SUCCESS")
    folder = job["output"]["outputFolder"]
    assert folder == f"/{home}/Jobs/Shell script/{job_id}"
    # When its page opens, the output folder is linked
    visit(page, server, f"/jobs/{job_id}")
    output_link = page.locator("[data-output-folder]")
    expect(output_link).to_be_visible()
    expect(output_link).to_contain_text(folder)
    # Then the link opens the Files page in that folder
    output_link.click()
    expect(page).to_have_url(re.compile(r"#/files\?path="))
    expect(page.locator(".breadcrumb")).to_have_text(
        f"Drives / Home / Jobs / Shell script / {job_id}"
    )
    expect(page.locator("h1")).to_have_text(job_id)
