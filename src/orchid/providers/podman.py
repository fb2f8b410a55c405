"""Container replicas through podman: command builders, plus the few calls that run podman.

Debian's podman 4.3 works on these machines with runc, the cgroupfs manager, the file events logger
and explicit ulimits (crun fails in hybrid cgroup mode); `CONTAINERS_CONF` points podman at a file
Orchid writes with exactly those settings, and `--root`/`--runroot` keep images and containers in
Orchid's data directory, apart from anything else on the machine. No registry is reachable: images
are imported (`orchid images import FILE.tar`) and never pulled (`--pull never`).

A replica is `podman run --rm --init ...` attached to the replica's stdout and stderr files, so
logs, the exit code (podman returns the container's) and terminate (podman forwards SIGTERM to the
container, whose init, catatonit, passes it on) work like a native replica's. A SIGKILL stops the
podman client but not the container (conmon runs on), so whoever kills one also calls `remove`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchid.domain.images import valid_image_reference

log = logging.getLogger(__name__)

INIT = "/usr/bin/catatonit"
NOFILE = 20000
NPROC = 32768

CONTAINERS_CONF = f"""\
# Written by Orchid: the settings that work with Debian's podman on these machines.
[containers]
default_ulimits = ["nofile={NOFILE}:{NOFILE}", "nproc={NPROC}:{NPROC}"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
init_path = "{INIT}"
"""

# Where a replica's working directory appears inside its container.
WORK = "/work"


@dataclass(frozen=True)
class Podman:
    """podman with Orchid's private storage under `directory`."""

    directory: Path
    program: str = "podman"

    @property
    def conf(self) -> Path:
        return self.directory / "containers.conf"

    def base(self) -> list[str]:
        return [
            self.program,
            "--root",
            str(self.directory / "storage"),
            "--runroot",
            str(self.runroot),
        ]

    @property
    def runroot(self) -> Path:
        """podman refuses a runroot longer than 50 characters, and data directories are often
        longer: the run state (sockets, locks; lost at reboot anyway) lives under /run for root,
        under /tmp otherwise, in a folder named after the data directory."""
        digest = hashlib.sha256(str(self.directory.absolute()).encode()).hexdigest()[:12]
        uid = os.getuid()
        parent = Path("/run/orchid-podman") if uid == 0 else Path(f"/tmp/orchid-podman-{uid}")
        return parent / digest

    def env(self) -> dict[str, str]:
        """The environment every podman command runs with."""
        return {
            "PATH": os.environ.get("PATH") or os.defpath,
            "CONTAINERS_CONF": str(self.conf),
            "HOME": str(self.directory),
        }

    def prepare(self) -> None:
        """Create the storage folders and the configuration file. Raises OSError."""
        (self.directory / "storage").mkdir(parents=True, exist_ok=True, mode=0o700)
        parent = self.runroot.parent
        parent.mkdir(exist_ok=True, mode=0o700)
        if parent.lstat().st_uid != os.getuid() or parent.is_symlink():
            raise OSError(f"{parent} belongs to somebody else")
        self.runroot.mkdir(exist_ok=True, mode=0o700)
        if not self.conf.exists() or self.conf.read_text() != CONTAINERS_CONF:
            tmp = self.conf.with_suffix(".tmp")
            tmp.write_text(CONTAINERS_CONF)
            os.replace(tmp, self.conf)

    # ---- command builders (pure) ----

    def run_argv(
        self,
        *,
        name: str,
        image: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        workdir: Path,
        user: tuple[int, int],
        rootless: bool,
    ) -> list[str]:
        """One replica: `argv` in `image`, as `user` (uid, gid), with `workdir` as /work.

        Every value is one argument: environment values travel as `--env NAME=VALUE` elements."""
        args = [
            *self.base(),
            "run",
            "--rm",
            "--pull=never",
            "--name",
            name,
            "--network=host",
            "--log-driver=none",
            f"--user={user[0]}:{user[1]}",
            "--cap-drop=all",
            "--security-opt=no-new-privileges",
            f"--volume={workdir}:{WORK}",
            f"--workdir={WORK}",
            f"--env=HOME={WORK}",
        ]
        if Path(INIT).exists():
            args.append("--init")
        if rootless:
            # Without it, uid 1000 inside would be a subordinate uid outside, and /work (owned by
            # the account) would not be writable.
            args.append("--userns=keep-id")
        args.extend(f"--env={key}={value}" for key, value in env.items())
        if not valid_image_reference(image):
            raise ValueError(f"not an image reference: {image!r}")
        return [*args, image, *argv]

    def remove_argv(self, names: Sequence[str]) -> list[str]:
        return [*self.base(), "rm", "--force", "--ignore", "--time=0", *names]

    def exists_argv(self, image: str) -> list[str]:
        return [*self.base(), "image", "exists", image]

    def import_argv(self, archive: Path, reference: str) -> list[str]:
        return [*self.base(), "import", str(archive), reference]

    def load_argv(self, archive: Path) -> list[str]:
        return [*self.base(), "load", "--input", str(archive)]

    def images_argv(self) -> list[str]:
        return [*self.base(), "images", "--format", "{{.Repository}}:{{.Tag}}\t{{.Size}}"]

    # ---- calls ----

    async def image_exists(self, image: str) -> bool:
        return await self._call(self.exists_argv(image)) == 0

    async def remove(self, names: Sequence[str]) -> None:
        """Remove containers (running or not); a name that does not exist is fine."""
        code = await self._call(self.remove_argv(names))
        if code != 0:
            log.warning("podman rm %s exited %d", " ".join(names), code)

    async def _call(self, argv: list[str]) -> int:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=self.env(),
        )
        return await process.wait()


def available() -> str | None:
    """Why podman cannot run containers on this machine, or None when it can."""
    for program in ("podman", "runc"):
        if shutil.which(program) is None:
            return f"{program} is not installed on this machine"
    return None


def replica_name(provider_id: str, job_id: str, rank: int) -> str:
    return f"orchid-{provider_id}-{job_id}-{rank}"
