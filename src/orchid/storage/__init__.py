"""Drives and files on disk. The only place that turns a UCloud path into a host path.

Every operation walks from the drive's root directory with `openat`-style calls (`dir_fd`,
`O_NOFOLLOW`), so no path component can be a symbolic link and nothing outside the drive is ever
opened, even while a job rearranges the drive at the same time.
"""

from orchid.storage.paths import FilePath, check_name, parse_path
from orchid.storage.tree import DriveTree, Owner

__all__ = ["DriveTree", "FilePath", "Owner", "check_name", "parse_path"]
