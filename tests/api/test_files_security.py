"""Nothing outside a user's own drives is ever read, listed or touched through the files API.

Every attack is refused with a clear 4xx; after each, a canary file outside the drive (and a file
in another user's drive) is checked to be unchanged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.files_support import assert_error, bulk, download, home, mkdir, names, upload
from tests.support import Api, Server


@pytest.fixture(scope="module")
def mallory(server: Server) -> Api:
    return server.user("mallory")


@pytest.fixture(scope="module")
def victim(server: Server) -> Api:
    api = server.user("victim")
    assert upload(api, f"/{home(api)}/secret.txt", b"victim's secret").status_code == 200
    return api


@pytest.fixture(scope="module")
def outside(server: Server) -> Iterator[Path]:
    """A folder beside the storage root with a canary file, checked after every test."""
    folder = server.data_dir / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "canary.txt").write_bytes(b"must not change")
    yield folder


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "dir"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(autouse=True)
def nothing_outside_changes(outside: Path, victim: Api, server: Server) -> Iterator[None]:
    before = fingerprint(outside)
    victim_drive = server.data_dir / "files" / home(victim)
    victim_before = fingerprint(victim_drive)
    yield
    assert fingerprint(outside) == before
    assert fingerprint(victim_drive) == victim_before


def plant(server: Server, api: Api, name: str, target: Path) -> str:
    """A symbolic link inside the user's Home drive pointing at `target` (as a job could make)."""
    h = home(api)
    link = server.data_dir / "files" / h / name
    if not link.is_symlink():
        os.symlink(target, link)
    return f"/{h}/{name}"


@pytest.mark.parametrize(
    "path",
    [
        "/{h}/../{v}/secret.txt",
        "/{h}/Jobs/../../{v}/secret.txt",
        "/{h}/..",
        "/../etc/passwd",
        "/etc/passwd",
        "etc/passwd",
        "{h}/secret.txt",
        "/{h}/a\x00b",
        "//etc/passwd",
        "/{h}/" + "x" * 300,
        "/" + "9" * 30 + "/x",
    ],
)
def test_escaping_paths_are_refused(mallory: Api, victim: Api, path: str) -> None:
    p = path.format(h=home(mallory), v=home(victim))
    assert_error(mallory.http.get("/api/files/browse", params={"path": p}), 400)
    assert_error(mallory.http.get("/api/files/retrieve", params={"id": p}), 400)
    assert_error(download(mallory, p), 400)
    assert_error(upload(mallory, p, b"evil"), 400)
    assert_error(mkdir(mallory, p), 400)
    assert_error(bulk(mallory, "DELETE", "/api/files", {"id": p}), 400)


@pytest.mark.parametrize("name", ["a\x00b", ".", "..", "tab\there", "del\x7f", "x" * 256])
def test_bad_names_are_refused(mallory: Api, name: str) -> None:
    h = home(mallory)
    before = names(mallory, f"/{h}")
    assert_error(mkdir(mallory, f"/{h}/{name}"), 400)
    assert_error(upload(mallory, f"/{h}/{name}", b"x"), 400)
    move = {"oldId": f"/{h}/Trash", "newId": f"/{h}/{name}", "conflictPolicy": "REJECT"}
    assert_error(bulk(mallory, "POST", "/api/files/move", move), 400)
    assert names(mallory, f"/{h}") == before


def test_a_slash_separates_names_and_nul_cannot_hide_one(mallory: Api, server: Server) -> None:
    h = home(mallory)
    assert mkdir(mallory, f"/{h}/a/b").status_code == 200
    assert names(mallory, f"/{h}/a") == ["b"]
    assert_error(mkdir(mallory, f"/{h}/a\x00/../../x"), 400)
    title = {"title": "bad\x00title"}
    assert_error(bulk(mallory, "POST", "/api/files/collections", title), 400, "INVALID_TITLE")


def test_another_users_drive_is_404_for_everything(mallory: Api, victim: Api) -> None:
    v = home(victim)
    secret = f"/{v}/secret.txt"
    assert_error(mallory.http.get("/api/files/collections/retrieve", params={"id": v}), 404)
    assert_error(mallory.http.get("/api/files/browse", params={"path": f"/{v}"}), 404)
    assert_error(mallory.http.get("/api/files/retrieve", params={"id": secret}), 404)
    assert_error(download(mallory, secret), 404)
    assert_error(upload(mallory, f"/{v}/planted.txt", b"x"), 404)
    assert_error(mkdir(mallory, f"/{v}/planted"), 404)
    assert_error(bulk(mallory, "DELETE", "/api/files", {"id": secret}), 404)
    assert_error(bulk(mallory, "POST", "/api/files/trash", {"id": secret}), 404)
    mine = f"/{home(mallory)}/stolen.txt"
    steal: dict[str, Any] = {"oldId": secret, "newId": mine, "conflictPolicy": "REJECT"}
    assert_error(bulk(mallory, "POST", "/api/files/copy", steal), 404)
    assert_error(bulk(mallory, "POST", "/api/files/move", steal), 404)
    push = {"oldId": mine, "newId": f"/{v}/pushed.txt", "conflictPolicy": "REJECT"}
    assert_error(bulk(mallory, "POST", "/api/files/copy", push), 404)
    assert_error(bulk(mallory, "DELETE", "/api/files/collections", {"id": v}), 404)
    rename = {"id": v, "newTitle": "pwned"}
    assert_error(bulk(mallory, "POST", "/api/files/collections/rename", rename), 404)


def test_symlinks_planted_in_a_drive_are_never_followed(
    mallory: Api, server: Server, outside: Path
) -> None:
    to_dir = plant(server, mallory, "escape", outside)
    to_file = plant(server, mallory, "canary-link", outside / "canary.txt")
    h = home(mallory)
    # A listing shows the links as links (it does not look behind them).
    listed = mallory.http.get("/api/files/browse", params={"path": f"/{h}"}).json()["items"]
    kinds = {i["id"].rsplit("/", 1)[1]: i["status"]["type"] for i in listed}
    assert kinds["escape"] == "SOFT_LINK" and kinds["canary-link"] == "SOFT_LINK"
    # Going through them is refused.
    assert_error(mallory.http.get("/api/files/browse", params={"path": to_dir}), 400, "SYMLINK")
    assert_error(download(mallory, f"{to_dir}/canary.txt"), 400, "SYMLINK")
    assert_error(download(mallory, to_file), 400)
    assert_error(upload(mallory, f"{to_dir}/new.txt", b"x"), 400, "SYMLINK")
    assert_error(mkdir(mallory, f"{to_dir}/sub"), 400, "SYMLINK")
    assert_error(bulk(mallory, "DELETE", "/api/files", {"id": f"{to_dir}/canary.txt"}), 400)
    move = {"oldId": f"{to_dir}/canary.txt", "newId": f"/{h}/got.txt", "conflictPolicy": "REJECT"}
    assert_error(bulk(mallory, "POST", "/api/files/move", move), 400, "SYMLINK")
    assert_error(bulk(mallory, "POST", "/api/files/copy", move), 400, "SYMLINK")
    # Copying the link copies a link (never the file behind it), and deleting removes the link only.
    copy = {"oldId": to_file, "newId": f"/{h}/link-copy", "conflictPolicy": "REJECT"}
    assert bulk(mallory, "POST", "/api/files/copy", copy).status_code == 200
    assert (server.data_dir / "files" / h / "link-copy").is_symlink()
    assert_error(download(mallory, f"/{h}/link-copy"), 400)
    # Replacing a link replaces the link itself, never the file it points to.
    assert upload(mallory, to_file, b"overwrite", policy="REPLACE").status_code == 200
    assert not (server.data_dir / "files" / h / "canary-link").is_symlink()
    for link in (to_dir, to_file, f"/{h}/link-copy"):
        assert bulk(mallory, "DELETE", "/api/files", {"id": link}).status_code == 200
    assert (outside / "canary.txt").read_bytes() == b"must not change"


def test_a_symlink_swapped_in_for_a_folder_mid_upload_is_not_followed(
    mallory: Api, server: Server, outside: Path
) -> None:
    h = home(mallory)
    assert mkdir(mallory, f"/{h}/swap").status_code == 200
    r = bulk(mallory, "POST", "/api/files/upload", {"id": f"/{h}/swap/x.txt"})
    target = r.json()["responses"][0]
    folder = server.data_dir / "files" / h / "swap"
    folder.rmdir()
    os.symlink(outside, folder)
    sent = upload_chunk(target, b"evil")
    assert_error(sent, 400, "SYMLINK")
    assert not (outside / "x.txt").exists()
    os.unlink(folder)


def upload_chunk(target: dict[str, str], data: bytes) -> Any:
    import httpx

    return httpx.post(
        target["endpoint"],
        content=data,
        headers={
            "Chunked-Upload-Token": target["token"],
            "Chunked-Upload-Offset": "0",
            "Chunked-Upload-Total-Size": str(len(data)),
        },
    )


def test_download_and_upload_tokens_are_not_guessable_or_reusable_for_others(
    mallory: Api, victim: Api
) -> None:
    r = bulk(victim, "POST", "/api/files/download", {"id": f"/{home(victim)}/secret.txt"})
    endpoint = r.json()["responses"][0]["endpoint"]
    token = endpoint.rsplit("=", 1)[1]
    assert len(token) >= 64
    assert_error(download(mallory, f"/{home(victim)}/secret.txt"), 404)
