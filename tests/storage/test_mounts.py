"""Host paths handed to a job's sandbox: only regular files and folders reached without a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchid.errors import BadRequest, Conflict, NotFound
from orchid.storage.mounts import host_path, job_folder
from orchid.storage.tree import DriveTree, Owner


@pytest.fixture
def tree(tmp_path: Path) -> DriveTree:
    (tmp_path / "files").mkdir()
    drive = DriveTree(tmp_path / "files" / "7", Owner.current(), "/7")
    drive.create(("Jobs",))
    (drive.root / "data").mkdir()
    (drive.root / "data" / "a.txt").write_text("a")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "canary").write_text("c")
    return drive


def test_files_folders_and_the_drive_itself_have_host_paths(tree: DriveTree) -> None:
    root = tree.root.resolve()
    assert host_path(tree, ("data", "a.txt")) == (root / "data" / "a.txt", "FILE")
    assert host_path(tree, ("data",)) == (root / "data", "DIRECTORY")
    assert host_path(tree, ()) == (root, "DIRECTORY")


def test_links_anywhere_on_the_way_are_refused(tree: DriveTree, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside", tree.root / "out")
    os.symlink(tmp_path / "outside" / "canary", tree.root / "data" / "canary")
    os.symlink("a.txt", tree.root / "data" / "inside-link")
    for parts in [("out",), ("out", "canary"), ("data", "canary"), ("data", "inside-link")]:
        with pytest.raises(BadRequest) as refused:
            host_path(tree, parts)
        assert refused.value.error_code == "SYMLINK", parts


def test_missing_paths_and_special_files(tree: DriveTree) -> None:
    with pytest.raises(NotFound):
        host_path(tree, ("nope",))
    os.mkfifo(tree.root / "fifo")
    with pytest.raises(BadRequest) as refused:
        host_path(tree, ("fifo",))
    assert refused.value.error_code == "NOT_A_FILE"


def test_a_job_folder_is_made_with_its_parents_and_never_through_a_link(
    tree: DriveTree, tmp_path: Path
) -> None:
    made = job_folder(tree, ("Jobs", "Shell script", "12"))
    assert made == tree.root.resolve() / "Jobs" / "Shell script" / "12" and made.is_dir()
    assert job_folder(tree, ("Jobs", "Shell script", "12")) == made  # again: the same folder
    os.symlink(tmp_path / "outside", tree.root / "Jobs" / "Planted")
    with pytest.raises(BadRequest) as refused:
        job_folder(tree, ("Jobs", "Planted"))
    assert refused.value.error_code == "SYMLINK"
    with pytest.raises(BadRequest):
        job_folder(tree, ("Jobs", "Planted", "13"))
    (tree.root / "Jobs" / "file").write_text("x")
    with pytest.raises(Conflict):
        job_folder(tree, ("Jobs", "file"))
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["canary"]
