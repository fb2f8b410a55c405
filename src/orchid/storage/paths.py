"""UCloud paths (`/<drive id>/<path inside the drive>`): parsing and the bounds on names. Pure.

`.` and empty components are dropped; `..` is refused rather than normalised, so a path always
names what it spells. Names are Unicode without NUL, `/` or control characters, at most 255 bytes
of UTF-8 (the Linux NAME_MAX); a path has at most 4096 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchid.domain.ids import parse_id
from orchid.errors import BadRequest

MAX_NAME_BYTES = 255
MAX_PATH_CHARS = 4096


@dataclass(frozen=True)
class FilePath:
    drive_id: str
    parts: tuple[str, ...]

    @property
    def is_root(self) -> bool:
        return not self.parts

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else ""

    @property
    def parent(self) -> FilePath:
        return FilePath(self.drive_id, self.parts[:-1])

    def child(self, name: str) -> FilePath:
        return FilePath(self.drive_id, (*self.parts, check_name(name)))

    def __str__(self) -> str:
        return "/" + "/".join((self.drive_id, *self.parts))


def check_name(name: str) -> str:
    """A single file or folder name, or BadRequest (INVALID_NAME) saying what is wrong."""
    if name in ("", ".", ".."):
        raise BadRequest(f"{name!r} is not a valid file name", "INVALID_NAME")
    if "/" in name:
        raise BadRequest(f"a file name cannot contain '/': {name!r}", "INVALID_NAME")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise BadRequest(
            f"a file name cannot contain NUL or control characters: {name!r}", "INVALID_NAME"
        )
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadRequest(f"a file name must be valid Unicode: {name!r}", "INVALID_NAME") from exc
    if size > MAX_NAME_BYTES:
        raise BadRequest(
            f"a file name can be at most {MAX_NAME_BYTES} bytes long ({size} given)",
            "INVALID_NAME",
        )
    return name


def parse_path(text: str) -> FilePath:
    """`/<drive id>/a/b` -> FilePath("<drive id>", ("a", "b")); BadRequest (INVALID_PATH) if it
    is not absolute, too long, has no drive, or steps up with `..`."""
    if not isinstance(text, str) or not text.startswith("/"):
        raise BadRequest(
            f"a path must start with /<drive id>/, not {str(text)[:100]!r}", "INVALID_PATH"
        )
    if len(text) > MAX_PATH_CHARS:
        raise BadRequest(f"a path can be at most {MAX_PATH_CHARS} characters", "INVALID_PATH")
    if "\x00" in text:
        raise BadRequest("a path cannot contain NUL", "INVALID_PATH")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts:
        raise BadRequest("the path names no drive: use /<drive id>/...", "INVALID_PATH")
    if ".." in parts:
        raise BadRequest(f"'..' is not allowed in a path: {text[:200]!r}", "INVALID_PATH")
    drive_id = parts[0]
    if parse_id(drive_id) is None:
        raise BadRequest(f"{drive_id[:40]!r} is not a drive id", "INVALID_PATH")
    try:
        names = tuple(check_name(p) for p in parts[1:])
    except BadRequest as exc:
        raise BadRequest(exc.why, "INVALID_PATH") from exc
    return FilePath(drive_id, names)
