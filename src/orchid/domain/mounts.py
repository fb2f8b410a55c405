"""Where a job's files appear inside it (decision 12): pure rules, no I/O.

Every `file` value (an entry of `resources`, an `input_file` or `input_directory` parameter) is
mounted at `/work/<name>`, its last path component, or for a whole drive the drive's title. Two
different files may not claim one name: the job is refused rather than one silently renamed,
because the command line names what the user meant. The same file given twice (say as a
parameter and as a resource) with the same access is mounted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchid.domain.sandbox import WORK
from orchid.errors import BadRequest

MOUNT_CONFLICT = "MOUNT_CONFLICT"
MAX_NAME_BYTES = 255
# UCloud drops this prefix from a member-files drive's title when it names its mount.
MEMBER_FILES_PREFIX = "Member Files: "


@dataclass(frozen=True)
class MountRequest:
    """One file value of a job: its UCloud path, the name it is mounted as, and whence it came
    (`parameter 'data'`, `resources[0]`) for messages."""

    path: str
    name: str
    read_only: bool
    origin: str

    @property
    def target(self) -> str:
        return f"{WORK}/{self.name}"


@dataclass(frozen=True)
class PlannedMount:
    path: str
    target: str
    read_only: bool
    origins: tuple[str, ...]


def plan_mounts(requests: Sequence[MountRequest]) -> list[PlannedMount]:
    """One mount per distinct target, in the order first asked for.

    Raises BadRequest MOUNT_CONFLICT when two different paths (or one path with different
    `readOnly`) would be mounted at the same place."""
    planned: dict[str, PlannedMount] = {}
    for request in requests:
        target = request.target
        seen = planned.get(target)
        if seen is None:
            planned[target] = PlannedMount(
                request.path, target, request.read_only, (request.origin,)
            )
        elif seen.path == request.path and seen.read_only == request.read_only:
            planned[target] = PlannedMount(
                seen.path, target, seen.read_only, (*seen.origins, request.origin)
            )
        else:
            raise BadRequest(
                f"{request.origin} ({request.path}) and {seen.origins[0]} ({seen.path}) would "
                f"both be mounted at {target}: mount the folder that holds them, or rename one",
                MOUNT_CONFLICT,
            )
    return list(planned.values())


def folder_name(title: str, fallback: str) -> str:
    """A title (an application's, a drive's) as one file name: `/` and control characters
    become `_`, at most 255 bytes; `fallback` when nothing usable is left."""
    cleaned = "".join("_" if c == "/" or ord(c) < 0x20 or ord(c) == 0x7F else c for c in title)
    cleaned = cleaned.strip()
    while len(cleaned.encode("utf-8", "replace")) > MAX_NAME_BYTES:
        cleaned = cleaned[:-1]
    if cleaned in ("", ".", ".."):
        return fallback
    return cleaned


def drive_mount_name(title: str, drive_id: str) -> str:
    """The name a whole drive is mounted as: its title (without `Member Files: `)."""
    if title.startswith(MEMBER_FILES_PREFIX):
        title = title[len(MEMBER_FILES_PREFIX) :]
    return folder_name(title, drive_id)
