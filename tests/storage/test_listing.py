"""The names cache of big folders: reused while the folder is unchanged, never when it changed or
when its mtime is too recent to tell a change in the same clock tick apart."""

from __future__ import annotations

import os
import time
from pathlib import Path

from orchid.storage.listing import MIN_ENTRIES, RACY_NS, NameCache


def big_folder(tmp_path: Path, count: int = MIN_ENTRIES) -> Path:
    folder = tmp_path / "many"
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"f{i:05d}").touch()
    return folder


def age(folder: Path) -> None:
    """Set the folder's mtime well before the racy window."""
    old = time.time_ns() - 10 * RACY_NS
    os.utime(folder, ns=(old, old))


def listed(cache: NameCache, folder: Path) -> list[str]:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return cache.sorted_names(fd)
    finally:
        os.close(fd)


def test_an_unchanged_big_folder_is_listed_once_and_a_change_is_seen(tmp_path: Path) -> None:
    cache = NameCache()
    folder = big_folder(tmp_path)
    age(folder)
    first = listed(cache, folder)
    assert first == sorted(os.listdir(folder)) and len(first) == MIN_ENTRIES
    assert listed(cache, folder) is first  # reused
    # When a file is added, the folder's mtime moves and the new name is listed
    (folder / "a-new-file").touch()
    again = listed(cache, folder)
    assert again[0] == "a-new-file" and len(again) == MIN_ENTRIES + 1
    # And a removal alike
    age(folder)
    listed(cache, folder)
    (folder / "f00000").unlink()
    assert "f00000" not in listed(cache, folder)


def test_a_folder_changed_within_the_racy_window_or_small_is_never_reused(tmp_path: Path) -> None:
    cache = NameCache()
    folder = big_folder(tmp_path)  # its mtime is now: a change in this tick could be missed
    assert listed(cache, folder) is not listed(cache, folder)
    small = tmp_path / "small"
    small.mkdir()
    (small / "x").touch()
    age(small)
    assert listed(cache, small) is not listed(cache, small)
    assert listed(cache, small) == ["x"]


def test_only_the_most_recent_folders_are_kept(tmp_path: Path) -> None:
    cache = NameCache(size=1)
    one, two = big_folder(tmp_path / "1"), big_folder(tmp_path / "2")
    for folder in (one, two):
        age(folder)
    first = listed(cache, one)
    listed(cache, two)
    assert listed(cache, one) is not first  # pushed out by the other folder
