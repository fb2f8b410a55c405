"""Where a job's file values appear inside it: /work/<name>, and no two files under one name."""

from __future__ import annotations

import pytest

from orchid.domain.mounts import (
    MountRequest,
    PlannedMount,
    drive_mount_name,
    folder_name,
    plan_mounts,
)
from orchid.errors import BadRequest


def test_each_value_is_mounted_at_its_name_and_the_same_file_twice_once() -> None:
    planned = plan_mounts(
        [
            MountRequest("/1/in/a.txt", "a.txt", False, "parameter 'a'"),
            MountRequest("/1/data", "data", True, "resources[0]"),
            MountRequest("/1/in/a.txt", "a.txt", False, "resources[1]"),
        ]
    )
    assert planned == [
        PlannedMount("/1/in/a.txt", "/work/a.txt", False, ("parameter 'a'", "resources[1]")),
        PlannedMount("/1/data", "/work/data", True, ("resources[0]",)),
    ]


@pytest.mark.parametrize(
    "second",
    [
        MountRequest("/1/other/a.txt", "a.txt", False, "resources[0]"),
        MountRequest("/1/in/a.txt", "a.txt", True, "resources[0]"),
    ],
)
def test_two_different_mounts_under_one_name_are_refused(second: MountRequest) -> None:
    with pytest.raises(BadRequest) as refused:
        plan_mounts([MountRequest("/1/in/a.txt", "a.txt", False, "parameter 'a'"), second])
    assert refused.value.error_code == "MOUNT_CONFLICT"
    assert "/work/a.txt" in refused.value.why and "parameter 'a'" in refused.value.why


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Shell script", "Shell script"),
        ("a/b", "a_b"),
        ("tab\there", "tab_here"),
        ("..", "fallback"),
        ("  ", "fallback"),
        ("é" * 200, "é" * 127),
    ],
)
def test_titles_become_one_file_name(title: str, expected: str) -> None:
    assert folder_name(title, "fallback") == expected


def test_a_drive_is_mounted_under_its_title_without_member_files() -> None:
    assert drive_mount_name("Member Files: alice", "3") == "alice"
    assert drive_mount_name("Home", "3") == "Home"
    assert drive_mount_name("/", "3") == "_"
