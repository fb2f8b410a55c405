"""The Files page in Chromium against a real server and real files on disk: drives, browsing with
breadcrumbs, a new folder, uploads by the file picker and by drag and drop (with their progress),
download, rename, delete, sorting, paging, and the server's `why` when something is refused."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import Api, Server
from tests.web.browser import PHONE, fits_width, new_context, screenshot, visit


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("lovelace")


def home_of(api: Api) -> str:
    """The id of the user's Home drive (made on first use)."""
    r = api.http.get("/api/files/collections/browse")
    assert r.status_code == 200, r.text
    [home] = [d for d in r.json()["items"] if d["status"]["preferredDrive"]]
    return str(home["id"])


NAMES = ".files-table tbody tr[data-path] td:first-child"


def names(page: Page) -> list[str]:
    return page.locator(NAMES).all_inner_texts()


def expect_names(page: Page, expected: list[str]) -> None:
    """The listing shows exactly these names, in this order (waiting for it to load)."""
    expect(page.locator(NAMES)).to_have_text(expected)


def row(page: Page, name: str) -> str:
    return f".files-table tbody tr[data-path$='/{name}']"


def api_upload(api: Api, path: str, content: bytes) -> None:
    """Put a file on the drive through the API (the SDK has its own tests)."""
    r = api.http.post(
        "/api/files/upload",
        json={"items": [{"id": path, "type": "FILE", "supportedProtocols": ["CHUNKED"]}]},
    )
    assert r.status_code == 200, r.text
    target = r.json()["responses"][0]
    r = api.http.post(
        target["endpoint"],
        content=content,
        headers={
            "Chunked-Upload-Token": target["token"],
            "Chunked-Upload-Offset": "0",
            "Chunked-Upload-Total-Size": str(len(content)),
        },
    )
    assert r.status_code == 200 and r.json()["complete"], r.text


DROP = """([names, contents]) => {
  const zone = document.querySelector("[data-dropzone]");
  const transfer = new DataTransfer();
  names.forEach((name, i) => transfer.items.add(new File([contents[i]], name)));
  const fire = (type) => zone.dispatchEvent(
    new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
  fire("dragenter");
  fire("dragover");
  const hinted = zone.classList.contains("dragging");
  fire("drop");
  return hinted;
}"""


def test_a_folder_made_filled_by_picker_and_drop_then_downloaded_renamed_and_deleted(
    server: Server, api: Api, page: Page, tmp_path: Path
) -> None:
    home = home_of(api)
    # Given the Files page, reached from the header: the Home drive is listed
    visit(page, server, "/jobs")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Files").click()
    expect(page.locator("h1")).to_have_text("Files")
    page.get_by_role("link", name="Home", exact=True).click()
    # When the drive opens, its Jobs and Trash folders are there and the breadcrumbs lead back
    expect(page.locator("h1")).to_have_text("Home")
    expect(page.locator(".breadcrumb")).to_have_text("Drives / Home")
    expect_names(page, ["Jobs", "Trash"])

    # When a folder is made with the dialog
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("results")
    page.get_by_role("button", name="Create folder").click()
    expect(page.locator(row(page, "results"))).to_be_visible()
    # Then a name that is taken is refused with the server's reason, in the dialog
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("results")
    page.get_by_role("button", name="Create folder").click()
    expect(page.locator("dialog .field-error")).to_have_text(f"/{home}/results already exists")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("dialog")).to_have_count(0)

    # When the folder is opened, the breadcrumbs grow and lead back
    page.get_by_role("link", name="results").click()
    expect(page.locator(".breadcrumb")).to_have_text("Drives / Home / results")
    expect(page.locator(".files-table tbody")).to_contain_text("This folder is empty")

    # When a file is chosen with the picker, its upload shows its progress, then the file is there
    big = os.urandom(3 * 2**20)
    (tmp_path / "big.bin").write_bytes(big)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1_500_000},
    )
    page.locator("[data-upload-input]").set_input_files(str(tmp_path / "big.bin"))
    upload = page.locator("[data-upload='big.bin']")
    page.wait_for_function(
        """() => { const bar = document.querySelector("[data-upload='big.bin'] progress");
                   return bar && bar.value > 0 && bar.value < bar.max; }"""
    )
    expect(upload).to_have_attribute("data-state", "uploading")
    expect(upload.locator(".upload-state")).to_contain_text("%")
    expect(upload).to_have_attribute("data-state", "done", timeout=30_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(upload.locator("progress")).to_have_attribute("value", str(len(big)))
    expect(page.locator(row(page, "big.bin"))).to_contain_text("3.0 MiB")

    # When two files are dropped on the listing (real drag events carrying a DataTransfer)
    hinted = page.evaluate(DROP, [["a.txt", "notes.md"], ["alpha\n", "# notes\n"]])
    assert hinted, "the drop zone did not show it would take the files"
    expect(page.locator("[data-upload='notes.md']")).to_have_attribute("data-state", "done")
    expect(page.locator(row(page, "notes.md"))).to_be_visible()
    expect_names(page, ["a.txt", "big.bin", "notes.md"])
    page.evaluate("document.activeElement.blur()")
    screenshot(page, "files")

    # When a file is downloaded, its bytes are the ones uploaded
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download big.bin").click()
    assert caught.value.suggested_filename == "big.bin"
    assert Path(caught.value.path()).read_bytes() == big

    # When a file is renamed onto a taken name, the server's reason shows; then to a free one
    page.get_by_role("button", name="Rename a.txt").click()
    page.get_by_label("New name").fill("notes.md")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.locator("dialog .field-error")).to_contain_text("already exists")
    page.get_by_label("New name").fill("b.txt")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.locator(row(page, "b.txt"))).to_be_visible()
    expect_names(page, ["b.txt", "big.bin", "notes.md"])
    r = api.http.get("/api/files/retrieve", params={"id": f"/{home}/results/b.txt"})
    assert r.status_code == 200 and r.json()["status"]["sizeInBytes"] == len("alpha\n")

    # When a file is deleted, a confirmation comes first; cancelling keeps it
    page.get_by_role("button", name="Delete notes.md").click()
    expect(page.locator("dialog")).to_contain_text("Move notes.md to the Trash?")
    page.get_by_role("button", name="Cancel").click()
    assert "notes.md" in names(page)
    page.get_by_role("button", name="Delete notes.md").click()
    page.get_by_role("button", name="Move to Trash").click()
    expect(page.locator(row(page, "notes.md"))).to_have_count(0)
    # Then it is in the drive's Trash, where deleting is for good
    page.locator(".breadcrumb").get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Trash").click()
    expect(page.locator(row(page, "notes.md"))).to_be_visible()
    page.get_by_role("button", name="Delete notes.md").click()
    expect(page.locator("dialog")).to_contain_text("deleted for good")
    page.get_by_role("button", name="Delete for good").click()
    expect(page.locator(".files-table tbody")).to_contain_text("This folder is empty")


def test_sorting_and_paging_follow_the_api(server: Server, api: Api, page: Page) -> None:
    home = home_of(api)
    # Given a folder with 55 sub-folders and three files of different sizes
    folders = [{"id": f"/{home}/many/f{i:02d}"} for i in range(55)]
    assert api.http.post("/api/files/folder", json={"items": folders}).status_code == 200
    for name, size in (("small", 1), ("large", 3000), ("medium", 200)):
        api_upload(api, f"/{home}/many/{name}", b"x" * size)
    visit(page, server, f"/files?path=/{home}/many")
    # When it opens, the first 50 entries by name are shown; Next shows the rest
    expect(page.locator(".files-table tbody tr[data-path]")).to_have_count(50)
    expect(page.locator(NAMES).first).to_have_text("f00")
    expect(page.get_by_role("button", name="← Previous")).to_be_disabled()
    page.get_by_role("button", name="Next →").click()
    expect(page.locator(".page-label")).to_have_text("Page 2")
    expect(page.locator(".files-table tbody tr[data-path]")).to_have_count(8)
    expect_names(page, ["f50", "f51", "f52", "f53", "f54", "large", "medium", "small"])
    expect(page.get_by_role("button", name="Next →")).to_be_disabled()
    # When sorted by size, largest first (a second click on the header)
    page.get_by_role("link", name="Sort by size, ascending").click()
    expect(page.locator("th[aria-sort='ascending']")).to_have_text(re.compile("^Size"))
    page.get_by_role("link", name="Sort by size, descending").click()
    expect(page.locator("th[aria-sort='descending']")).to_have_text(re.compile("^Size"))
    expect(page.locator(NAMES).nth(0)).to_have_text("large")
    assert names(page)[:3] == ["large", "medium", "small"]
    assert "direction=descending" in page.url and "sortBy=SIZE" in page.url


def test_what_the_server_refuses_is_said_in_its_words(server: Server, api: Api, page: Page) -> None:
    home = home_of(api)
    # A drive that is not the user's: the server's 404 reason
    visit(page, server, "/files?path=/987654/x")
    expect(page.locator(".problem .alert")).to_contain_text(
        "permission denied or drive not found (987654)"
    )
    # An upload refused at createUpload (the name is taken): the upload says why
    api_upload(api, f"/{home}/taken.txt", b"first")
    visit(page, server, f"/files?path=/{home}")
    expect(page.locator(row(page, "taken.txt"))).to_be_visible()
    page.evaluate(DROP, [["taken.txt"], ["second"]])
    failed = page.locator("[data-upload='taken.txt']")
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed.locator(".field-error")).to_have_text(f"/{home}/taken.txt already exists")
    r = api.http.get("/api/files/retrieve", params={"id": f"/{home}/taken.txt"})
    assert r.json()["status"]["sizeInBytes"] == len(b"first")


def test_the_files_page_fits_a_phone(server: Server, api: Api, browser: Browser) -> None:
    home = home_of(api)
    api_upload(api, f"/{home}/a-file-with-a-rather-long-name-for-a-phone.txt", b"x")
    context = new_context(browser, api.token, viewport=PHONE)
    phone = context.new_page()
    visit(phone, server, f"/files?path=/{home}")
    expect(phone.get_by_role("button", name="Upload files")).to_be_visible()
    expect(phone.locator(".files-table tbody tr[data-path]").first).to_be_visible()
    assert fits_width(phone)
    context.close()
