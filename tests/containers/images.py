"""A tiny container image built from Debian's busybox-static, for tests and the benchmark."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support import IN_CI, ORCHID

BUSYBOX = Path("/bin/busybox")
IMAGE = "localhost/orchid-examples/busybox:1.35"
COMMANDS = ("sh", "echo", "cat", "sleep", "id", "env", "ls", "true", "false", "pwd")


def missing() -> str | None:
    """What this machine lacks to run container tests, or None."""
    for program in ("podman", "runc"):
        if shutil.which(program) is None:
            return f"{program} is not installed (scripts/ensure-podman installs it)"
    if not BUSYBOX.is_file():
        return "busybox-static is not installed (scripts/ensure-podman installs it)"
    return None


def require_podman() -> None:
    """Skip on a laptop without podman; fail in CI, where it must be there."""
    reason = missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def busybox_rootfs_tar(path: Path) -> Path:
    """A root filesystem tarball: /bin/busybox and a link per command, /work and /tmp."""
    with tarfile.open(path, "w") as tar:
        for directory in ("bin", "work", "tmp"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        tar.add(BUSYBOX, "bin/busybox")
        for command in COMMANDS:
            info = tarfile.TarInfo(f"bin/{command}")
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            tar.addfile(info, io.BytesIO())
    return path


def import_busybox(data_dir: Path, work: Path) -> None:
    """`orchid images import` the busybox image into the data directory of a server."""
    archive = busybox_rootfs_tar(work / "busybox.tar")
    done = subprocess.run(
        [*ORCHID, "images", "import", str(archive), "--name", IMAGE, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
