"""A job's files on its owner's drives (decision 12): its /work folder and its mounts.

`/work` is the folder `/<home drive>/Jobs/<application title>/<job id>` of the owner's Home drive,
created when the job is submitted and kept after it ends (`output.outputFolder`). Every `file`
value (`resources` entries, `input_file`/`input_directory` parameters) must lead inside a drive of
the owner: it is resolved there (storage/mounts.py refuses links and anything leaving the drive)
and mounted at `/work/<name>`; a file parameter's value on the command line becomes that in-job
path. Another user's drive, like a missing path, is 404.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchid.domain.mounts import (
    MountRequest,
    PlannedMount,
    drive_mount_name,
    folder_name,
    plan_mounts,
)
from orchid.domain.sandbox import Mount
from orchid.errors import BadRequest, NotSupported
from orchid.schemas.apps import Application, AppParameterValue, FileValue
from orchid.service.files import FileService
from orchid.storage import mounts as storage_mounts
from orchid.storage.paths import FilePath, parse_path

log = logging.getLogger(__name__)

JOBS_FOLDER = "Jobs"
INVALID_FILE = "INVALID_FILE"


@dataclass(frozen=True)
class JobFilesPlan:
    """What a job will see: its mounts (host paths already checked), the parameter values with
    file paths turned into in-job paths (for the command line), and the folder its /work goes
    into (`<jobs_folder>/<job id>`)."""

    mounts: tuple[Mount, ...]
    values: dict[str, AppParameterValue]
    jobs_folder: str


class JobFiles:
    def __init__(self, files: FileService) -> None:
        self.files = files

    # ---- at create ----

    async def plan(
        self,
        user: str,
        app: Application,
        values: Mapping[str, AppParameterValue],
        resources: Sequence[AppParameterValue] | None,
    ) -> JobFilesPlan:
        """Check every file value of a job and make its jobs folder (`Jobs/<title>`).

        Raises BadRequest (INVALID_PATH for `..`, NUL or a path outside any drive; SYMLINK;
        MOUNT_CONFLICT; INVALID_FILE for a folder given to an `input_file` or the reverse;
        NOT_SUPPORTED for other resource types) or NotFound (the drive is not the user's, the
        path does not exist)."""
        requests = self._requests(user, app, values, resources)
        planned = plan_mounts(requests)
        home = await self.files.home(user)
        jobs = FilePath(home.id, (JOBS_FOLDER, folder_name(app.metadata.title, app.metadata.name)))
        tree = self.files.tree(home)
        await asyncio.to_thread(storage_mounts.job_folder, tree, jobs.parts)
        mounts = await asyncio.to_thread(self._bind, user, planned, _kinds(app, values, requests))
        return JobFilesPlan(mounts, _in_job_values(values, requests), str(jobs))

    def _requests(
        self,
        user: str,
        app: Application,
        values: Mapping[str, AppParameterValue],
        resources: Sequence[AppParameterValue] | None,
    ) -> list[MountRequest]:
        requests = []
        for i, resource in enumerate(resources or ()):
            if not isinstance(resource, FileValue):
                raise NotSupported(
                    f"resources[{i}]: resources of type '{resource.type}' are not supported "
                    "(only 'file')"
                )
            requests.append(self._request(user, resource, f"resources[{i}]"))
        for name, value in values.items():
            if isinstance(value, FileValue):
                requests.append(self._request(user, value, f"parameter '{name}'"))
        return requests

    def _request(self, user: str, value: FileValue, origin: str) -> MountRequest:
        try:
            path = parse_path(value.path)
        except BadRequest as exc:
            raise BadRequest(f"{origin}: {exc.why}", exc.error_code) from exc
        drive = self.files.drive(user, path.drive_id)  # NotFound when not the user's
        name = path.name if path.parts else drive_mount_name(drive.title, drive.id)
        return MountRequest(str(path), name, bool(value.read_only), origin)

    def _bind(
        self, user: str, planned: list[PlannedMount], kinds: Mapping[str, str]
    ) -> tuple[Mount, ...]:
        mounts = []
        for plan in planned:
            at = self.files.locate(user, plan.path)
            source, kind = storage_mounts.host_path(at.tree, at.path.parts)
            wanted = kinds.get(plan.path)
            if wanted is not None and wanted != kind:
                what = "a file" if wanted == "FILE" else "a folder"
                raise BadRequest(f"{plan.origins[0]}: {plan.path} is not {what}", INVALID_FILE)
            mounts.append(Mount(source=source, target=plan.target, read_only=plan.read_only))
        return tuple(mounts)

    # ---- once the job has an id ----

    async def make_workdir(self, user: str, output_folder: str) -> Path:
        """Create the job's folder (the job's /work) and return its host path."""
        return await asyncio.to_thread(self.workdir, user, output_folder)

    def workdir(self, user: str, output_folder: str) -> Path:
        """The host path of a job's folder, created if missing (also on recovery)."""
        at = self.files.locate(user, output_folder)
        return storage_mounts.job_folder(at.tree, at.path.parts)

    # ---- on recovery ----

    def replan(
        self,
        user: str,
        app: Application,
        values: Mapping[str, AppParameterValue],
        resources: Sequence[AppParameterValue] | None,
        *,
        bind: bool,
    ) -> tuple[tuple[Mount, ...], dict[str, AppParameterValue]]:
        """The mounts and in-job values of a stored job, as `plan` made them. With `bind` False
        (a job that already runs) the files are not looked at again, only the names."""
        requests = self._requests(user, app, values, resources)
        planned = plan_mounts(requests)
        mounts = self._bind(user, planned, _kinds(app, values, requests)) if bind else ()
        return mounts, _in_job_values(values, requests)


def _kinds(
    app: Application, values: Mapping[str, AppParameterValue], requests: Sequence[MountRequest]
) -> dict[str, str]:
    """What each parameter's path must be: FILE for input_file, DIRECTORY for input_directory."""
    declared = {p.name: p.type for p in app.invocation.parameters}
    kinds: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, FileValue):
            kind = "FILE" if declared.get(name) == "input_file" else "DIRECTORY"
            kinds[str(parse_path(value.path))] = kind
    return kinds


def _in_job_values(
    values: Mapping[str, AppParameterValue], requests: Sequence[MountRequest]
) -> dict[str, AppParameterValue]:
    """The parameter values with each file's path replaced by where the job sees it."""
    targets = {r.origin: r.target for r in requests}
    result = dict(values)
    for name, value in values.items():
        if isinstance(value, FileValue):
            result[name] = FileValue(path=targets[f"parameter '{name}'"], read_only=value.read_only)
    return result
