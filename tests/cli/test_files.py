"""`orchid files ...` against a real server: a folder tree up and back down, moves, copies,
trash, and one-line errors for what cannot be done."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.clitools import Cli, assert_one_line_error, cli_for
from tests.support import Api, Server


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "filecli", tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def cli(user: tuple[Cli, Api]) -> Cli:
    return user[0]


def ok(result: object) -> None:
    assert result.code == 0, (result.out, result.err)


def names(cli: Cli, path: str) -> list[str]:
    result = cli("files", "ls", path, "-o", "json")
    ok(result)
    return [entry["id"].rsplit("/", 1)[1] for entry in result.json()]


def test_ls_home_and_drives(cli: Cli) -> None:
    assert names(cli, "~") == ["Jobs", "Trash"]
    result = cli("files", "ls", "/")
    ok(result)
    assert "Home (~)" in result.out
    human = cli("files", "ls")
    ok(human)
    assert "Jobs/" in human.out and "Trash/" in human.out


def test_folder_tree_up_and_down(cli: Cli, tmp_path: Path) -> None:
    tree = tmp_path / "project"
    (tree / "data" / "raw").mkdir(parents=True)
    (tree / "README").write_text("hello\n")
    (tree / "data" / "raw" / "blob.bin").write_bytes(os.urandom(100_000))
    (tree / "data" / "empty").write_bytes(b"")

    refused = cli("files", "upload", str(tree), "~/")
    assert_one_line_error(refused, "-r")

    up = cli("files", "upload", "-r", str(tree), "~/")
    ok(up)
    assert "uploaded" in up.err and "~/project/data/raw/blob.bin" in up.err
    assert names(cli, "~/project") == ["README", "data"]
    assert names(cli, "/Home/project/data") == ["empty", "raw"]  # a drive by its title

    back = tmp_path / "back"
    back.mkdir()
    down = cli("files", "download", "-r", "~/project", str(back))
    ok(down)
    for path in tree.rglob("*"):
        twin = back / "project" / path.relative_to(tree)
        assert twin.exists(), twin
        if path.is_file():
            assert twin.read_bytes() == path.read_bytes()

    again = cli("files", "download", "~/project/README", str(back / "project"))
    assert_one_line_error(again, "exists", "--force")
    ok(cli("files", "download", "--force", "~/project/README", str(back / "project")))


def test_upload_one_file_to_a_name_and_conflicts(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("v1")
    ok(cli("files", "upload", str(source), "~/renamed-notes.txt"))
    assert "renamed-notes.txt" in names(cli, "~")
    twice = cli("files", "upload", str(source), "~/renamed-notes.txt")
    assert_one_line_error(twice, "already exists")
    source.write_text("v2")
    ok(cli("files", "upload", "--on-conflict", "replace", str(source), "~/renamed-notes.txt"))
    ok(cli("files", "download", "~/renamed-notes.txt", str(tmp_path / "got.txt")))
    assert (tmp_path / "got.txt").read_text() == "v2"
    ok(cli("files", "upload", "--on-conflict", "rename", str(source), "~/renamed-notes.txt"))
    assert len([n for n in names(cli, "~") if n.startswith("renamed-notes")]) == 2


def test_mkdir_mv_cp_rm(cli: Cli, tmp_path: Path) -> None:
    ok(cli("files", "mkdir", "~/work/a", "~/work/b"))
    (tmp_path / "f.txt").write_text("f")
    ok(cli("files", "upload", str(tmp_path / "f.txt"), "~/work/a"))
    assert names(cli, "~/work/a") == ["f.txt"]

    assert_one_line_error(cli("files", "cp", "~/work/a", "~/work/c"), "-r")
    ok(cli("files", "cp", "-r", "~/work/a", "~/work/c"))
    ok(cli("files", "mv", "~/work/c/f.txt", "~/work/b"))  # into an existing folder
    assert names(cli, "~/work/b") == ["f.txt"] and names(cli, "~/work/c") == []
    ok(cli("files", "mv", "~/work/b/f.txt", "~/work/b/g.txt"))  # a rename
    assert names(cli, "~/work/b") == ["g.txt"]

    assert_one_line_error(cli("files", "rm", "~/work/c"), "-r")
    ok(cli("files", "rm", "-r", "~/work/c"))
    assert "c" in names(cli, "~/Trash")
    ok(cli("files", "rm", "--permanent", "~/work/b/g.txt"))
    assert names(cli, "~/work/b") == []


def test_bad_paths_are_one_line_errors(cli: Cli, server: Server) -> None:
    assert_one_line_error(cli("files", "ls", "relative/path"), "start with ~/")
    assert_one_line_error(cli("files", "ls", "~/missing"), "no such file")
    assert_one_line_error(cli("files", "mkdir", "~/../escape"), "..")
    other = server.user("filecli-other")
    theirs = other.http.get("/api/files/collections/browse").json()["items"][0]["id"]
    assert_one_line_error(cli("files", "ls", f"/{theirs}"), "not found")
    assert_one_line_error(cli("files", "upload", "/no/such/local", "~/"), "no such local")
