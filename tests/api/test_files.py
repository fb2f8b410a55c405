"""Drives and files through the HTTP API of a real `orchid serve`, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat

import httpx
import pytest

from tests.api.files_support import assert_error, bulk, download, home, mkdir, names, upload
from tests.support import Api, Server


@pytest.fixture(scope="module")
def alice(server: Server) -> Api:
    return server.user("alice")


def drive_dir(server: Server, drive: str) -> str:
    return str(server.data_dir / "files" / drive)


def test_a_home_drive_with_jobs_and_trash_appears_on_first_use(alice: Api, server: Server) -> None:
    page = alice.http.get("/api/files/collections/browse").json()
    assert [d["specification"]["title"] for d in page["items"]] == ["Home"]
    drive = page["items"][0]
    assert drive["owner"]["createdBy"] == "alice" and drive["status"]["preferredDrive"] is True
    retrieved = alice.http.get("/api/files/collections/retrieve", params={"id": drive["id"]})
    assert retrieved.json() == drive
    assert names(alice, f"/{drive['id']}") == ["Jobs", "Trash"]
    mode = os.stat(drive_dir(server, drive["id"])).st_mode
    assert stat.S_IMODE(mode) == 0o700


def test_further_drives_are_created_renamed_and_deleted(alice: Api) -> None:
    r = bulk(alice, "POST", "/api/files/collections", {"title": "Data", "product": None})
    assert r.status_code == 200, r.text
    drive = r.json()["responses"][0]["id"]
    rename = bulk(alice, "POST", "/api/files/collections/rename", {"id": drive, "newTitle": "Raw"})
    assert rename.json() == {}
    titles = [
        d["specification"]["title"]
        for d in alice.http.get("/api/files/collections/browse").json()["items"]
    ]
    assert titles == ["Home", "Raw"]
    assert upload(alice, f"/{drive}/x.bin", b"x").status_code == 200
    assert bulk(alice, "DELETE", "/api/files/collections", {"id": drive}).status_code == 200
    assert_error(alice.http.get("/api/files/collections/retrieve", params={"id": drive}), 404)
    assert_error(
        bulk(alice, "DELETE", "/api/files/collections", {"id": home(alice)}), 400, "HOME_DRIVE"
    )
    for bad in ("", "   ", "two\nlines", "x" * 101):
        assert_error(
            bulk(alice, "POST", "/api/files/collections", {"title": bad}), 400, "INVALID_TITLE"
        )


def test_upload_browse_retrieve_and_download_a_file(alice: Api) -> None:
    h = home(alice)
    data = os.urandom(3 * 1024 * 1024 + 17)
    r = upload(alice, f"/{h}/data/blob.bin", data, chunk=1_000_000)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "offset": len(data),
        "totalSize": len(data),
        "complete": True,
        "path": f"/{h}/data/blob.bin",
    }
    ufile = alice.http.get("/api/files/retrieve", params={"id": f"/{h}/data/blob.bin"}).json()
    assert ufile["status"]["type"] == "FILE" and ufile["status"]["sizeInBytes"] == len(data)
    assert ufile["specification"]["collection"] == h
    assert ufile["status"]["unixMode"] == 0o600
    got = download(alice, f"/{h}/data/blob.bin")
    assert got.status_code == 200 and got.content == data
    assert "blob.bin" in got.headers["content-disposition"]
    ranged = download(alice, f"/{h}/data/blob.bin", {"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and ranged.content == data[100:200]
    assert ranged.headers["content-range"] == f"bytes 100-199/{len(data)}"


def test_an_unfinished_upload_is_never_visible_and_resumes(alice: Api) -> None:
    h = home(alice)
    data = os.urandom(300_000)
    r = bulk(
        alice, "POST", "/api/files/upload", {"id": f"/{h}/resumed.bin", "conflictPolicy": "REJECT"}
    )
    target = r.json()["responses"][0]
    headers = {"Chunked-Upload-Token": target["token"], "Chunked-Upload-Total-Size": "300000"}
    first = httpx.post(
        target["endpoint"], content=data[:100_000], headers=headers | {"Chunked-Upload-Offset": "0"}
    )
    assert first.json()["complete"] is False
    assert "resumed.bin" not in names(alice, f"/{h}")
    # A gap is refused and says where to continue.
    gap = httpx.post(
        target["endpoint"], content=b"x", headers=headers | {"Chunked-Upload-Offset": "200000"}
    )
    assert_error(gap, 409, "UPLOAD_OFFSET")
    where = httpx.get(target["endpoint"], headers=headers).json()
    assert where["offset"] == 100_000
    rest = httpx.post(
        target["endpoint"],
        content=data[100_000:],
        headers=headers | {"Chunked-Upload-Offset": "-1"},
    )
    assert rest.json()["complete"] is True
    assert download(alice, f"/{h}/resumed.bin").content == data


def test_conflict_policies(alice: Api) -> None:
    h = home(alice)
    assert upload(alice, f"/{h}/c/a.txt", b"one").status_code == 200
    assert_error(upload(alice, f"/{h}/c/a.txt", b"two"), 409, "ALREADY_EXISTS")
    assert upload(alice, f"/{h}/c/a.txt", b"three", policy="RENAME").json()["path"] == (
        f"/{h}/c/a (1).txt"
    )
    assert upload(alice, f"/{h}/c/a.txt", b"four", policy="REPLACE").status_code == 200
    assert download(alice, f"/{h}/c/a.txt").content == b"four"
    assert_error(mkdir(alice, f"/{h}/c"), 409, "ALREADY_EXISTS")
    assert mkdir(alice, f"/{h}/c", "RENAME").status_code == 200
    assert "c (1)" in names(alice, f"/{h}")
    copied = bulk(
        alice,
        "POST",
        "/api/files/copy",
        {"oldId": f"/{h}/c/a.txt", "newId": f"/{h}/c/a.txt", "conflictPolicy": "RENAME"},
    )
    assert copied.json() == {"responses": [{"type": "complete"}]}
    assert sorted(names(alice, f"/{h}/c")) == ["a (1).txt", "a (2).txt", "a.txt"]


def test_move_copy_trash_and_delete(alice: Api) -> None:
    h = home(alice)
    assert upload(alice, f"/{h}/m/src/f.txt", b"payload").status_code == 200
    move = {"oldId": f"/{h}/m/src", "newId": f"/{h}/m/dst", "conflictPolicy": "REJECT"}
    assert bulk(alice, "POST", "/api/files/move", move).status_code == 200
    assert names(alice, f"/{h}/m") == ["dst"]
    copy = {"oldId": f"/{h}/m/dst", "newId": f"/{h}/m/copy", "conflictPolicy": "REJECT"}
    assert bulk(alice, "POST", "/api/files/copy", copy).status_code == 200
    assert download(alice, f"/{h}/m/copy/f.txt").content == b"payload"
    into_itself = {"oldId": f"/{h}/m/dst", "newId": f"/{h}/m/dst/inner", "conflictPolicy": "REJECT"}
    assert_error(bulk(alice, "POST", "/api/files/move", into_itself), 400, "INVALID_MOVE")
    assert bulk(alice, "POST", "/api/files/trash", {"id": f"/{h}/m/copy"}).status_code == 200
    assert "copy" in names(alice, f"/{h}/Trash")
    assert bulk(alice, "POST", "/api/files/emptyTrash", {"id": f"/{h}/Trash"}).status_code == 200
    assert names(alice, f"/{h}/Trash") == []
    assert bulk(alice, "DELETE", "/api/files", {"id": f"/{h}/m"}).json() == {"responses": [{}]}
    assert_error(alice.http.get("/api/files/retrieve", params={"id": f"/{h}/m"}), 404)


def test_browse_sorts_and_pages(alice: Api) -> None:
    h = home(alice)
    for i, size in enumerate([5, 1, 3]):
        assert upload(alice, f"/{h}/s/f{i}", b"x" * size).status_code == 200
    assert names(alice, f"/{h}/s") == ["f0", "f1", "f2"]
    assert names(alice, f"/{h}/s", sortBy="SIZE") == ["f1", "f2", "f0"]
    # A folder has no size to show: it sorts before the files, largest files first descending
    assert bulk(alice, "POST", "/api/files/folder", {"id": f"/{h}/s/dir"}).status_code == 200
    assert names(alice, f"/{h}/s", sortBy="SIZE") == ["dir", "f1", "f2", "f0"]
    by_size_down = names(alice, f"/{h}/s", sortBy="SIZE", sortDirection="descending")
    assert by_size_down == ["f0", "f2", "f1", "dir"]
    assert bulk(alice, "DELETE", "/api/files", {"id": f"/{h}/s/dir"}).status_code == 200
    assert names(alice, f"/{h}/s", sortBy="PATH", sortDirection="descending") == [
        "f2",
        "f1",
        "f0",
    ]
    first = alice.http.get("/api/files/browse", params={"path": f"/{h}/s", "itemsPerPage": 2})
    assert first.json()["next"] == "2" and len(first.json()["items"]) == 2
    second = alice.http.get(
        "/api/files/browse", params={"path": f"/{h}/s", "itemsPerPage": 2, "next": "2"}
    )
    assert [i["id"] for i in second.json()["items"]] == [f"/{h}/s/f2"]
    assert second.json()["next"] is None


@pytest.mark.parametrize(
    ("params", "code"),
    [({}, "MISSING_PATH"), ({"path": "/x/y"}, "INVALID_PATH"), ({"path": "relative"}, None)],
)
def test_browse_without_a_usable_path_is_a_400(
    alice: Api, params: dict[str, str], code: str | None
) -> None:
    assert_error(alice.http.get("/api/files/browse", params=params), 400, code)


def test_missing_files_and_folders_are_404(alice: Api) -> None:
    h = home(alice)
    assert_error(alice.http.get("/api/files/browse", params={"path": f"/{h}/nope"}), 404)
    assert_error(download(alice, f"/{h}/nope.txt"), 404, "FILE_NOT_FOUND")
    move = {"oldId": f"/{h}/nope", "newId": f"/{h}/other", "conflictPolicy": "REJECT"}
    assert_error(bulk(alice, "POST", "/api/files/move", move), 404)
    assert_error(download(alice, f"/{h}/Jobs"), 400, "IS_A_FOLDER")
    assert_error(httpx.get(alice.url + "/api/files/download", params={"token": "nope"}), 404)
    assert_error(
        httpx.post(alice.url + "/api/files/upload/chunked", headers={"Chunked-Upload-Token": "x"}),
        400,
    )


def test_quota_refuses_uploads_past_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    srv = Server(
        tmp_path_factory.mktemp("quota"), env={"ORCHID_STORAGE_QUOTA_BYTES": "1000000"}
    ).start()
    try:
        bob = srv.user("bob")
        h = home(bob)
        assert upload(bob, f"/{h}/small.bin", b"x" * 600_000).status_code == 200
        assert_error(upload(bob, f"/{h}/big.bin", b"x" * 600_000), 413, "QUOTA_EXCEEDED")
        assert "big.bin" not in names(bob, f"/{h}")
        copy = {"oldId": f"/{h}/small.bin", "newId": f"/{h}/again.bin", "conflictPolicy": "REJECT"}
        assert_error(bulk(bob, "POST", "/api/files/copy", copy), 413, "QUOTA_EXCEEDED")
    finally:
        srv.close()
