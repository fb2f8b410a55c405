"""Container replicas on this machine: what the local provider spawns instead of the native argv.

The replica is still one process under the provider's wrapper (exit file, process group, pidfd,
log files, re-attach after a restart): that process is the `podman run` client, attached to the
container. The container itself is the sandbox; it runs as the job's account, sees the replica's
working directory as /work and nothing else of the host's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchid.errors import BadRequest
from orchid.providers.base import JobRun
from orchid.providers.podman import Podman, replica_name

UNKNOWN_IMAGE = "UNKNOWN_IMAGE"


@dataclass(frozen=True)
class LocalContainers:
    provider_id: str
    podman: Podman

    def command(
        self,
        run: JobRun,
        rank: int,
        workdir: Path,
        env: Mapping[str, str],
        user: tuple[int, int],
    ) -> tuple[list[str], dict[str, str]]:
        """The argv and environment of the process that runs replica `rank` in its container.
        `env` is the job's environment with Orchid's variables; it goes into the container (the
        host's PATH does not: the image has its own). `user` is the (uid, gid) it runs as."""
        assert run.image is not None
        inside = {k: v for k, v in env.items() if k != "PATH"}
        argv = self.podman.run_argv(
            name=replica_name(self.provider_id, run.job_id, rank),
            image=run.image,
            argv=run.argv,
            env=inside,
            workdir=workdir,
            user=user,
            rootless=os.getuid() != 0,
        )
        return argv, self.podman.env()

    async def check_image(self, image: str) -> None:
        if not await self.podman.image_exists(image):
            raise BadRequest(
                f"container image {image!r} is not on this machine; import it with "
                "`orchid images import FILE.tar`",
                UNKNOWN_IMAGE,
            )

    async def remove(self, run: JobRun) -> None:
        """Remove the job's containers: after a forced kill, podman's client is gone but the
        container may still run."""
        names = [replica_name(self.provider_id, run.job_id, rank) for rank in range(run.replicas)]
        await self.podman.remove(names)
