"""A job's files (decision 12), on a real store and real folders: its /work is a folder of its
owner's Home drive, its file values become mounts below /work, and anything that is not the user's
or leads out of a drive is refused at create, before anything is stored or started."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from orchid.catalog import ApplicationFiles, Catalog
from orchid.catalog.loader import builtin_apps_dir, builtin_products
from orchid.domain.limits import Limits
from orchid.domain.products import Capabilities
from orchid.domain.sandbox import Mount
from orchid.domain.states import JobState
from orchid.errors import BadRequest, OrchidError
from orchid.schemas.jobs import JobSpecification
from orchid.service.files import FileService
from orchid.service.jobs import JobService
from orchid.storage.download import Downloads
from orchid.storage.tree import Owner
from orchid.storage.upload import Uploads
from orchid.store.drives import DriveStore
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.service.helpers import ALICE, BOB, asynchronous

APP = """\
tool: v1
name: wc
version: "1"
title: wc
description: coreutils
backend: NATIVE
---
application: v1
name: count
version: "1.0"
title: Count/words
description: Counts words.
authors: [Orchid]
tool: {name: wc, version: "1"}
invocation:
  - wc
  - -w
  - {type: var, vars: text}
  - {type: var, vars: refs}
parameters:
  text: {type: input_file, title: Text, description: a file}
  refs: {type: input_directory, title: Refs, description: a folder, optional: true}
"""


def files_of(store: Store, root: Path) -> FileService:
    return FileService(
        DriveStore(store.engine),
        root,
        identity=lambda _user: Owner.current(),
        quota_bytes=None,
        uploads=Uploads(root, idle_seconds=60, per_user=4),
        downloads=Downloads(lifetime_seconds=60, capacity=10),
    )


def catalog_with_count(tmp_path: Path) -> Catalog:
    apps = tmp_path / "apps"
    apps.mkdir(exist_ok=True)
    (apps / "count.yml").write_text(APP)
    loaded = ApplicationFiles([builtin_apps_dir(), apps]).load()
    assert loaded.problems == []
    return Catalog(loaded.applications, builtin_products())


@asynccontextmanager
async def service_with_files(
    store: Store, tmp_path: Path, provider: FakeProvider
) -> AsyncIterator[tuple[JobService, FileService]]:
    files = files_of(store, tmp_path / "files")
    files.start()
    service = JobService(store, catalog_with_count(tmp_path), {provider.id: provider}, files=files)
    provider.connect(service.on_fact)
    await service.start()
    try:
        yield service, files
    finally:
        await service.stop()
        files.close()


def mounting() -> FakeProvider:
    return FakeProvider(capabilities=Capabilities(mounts=True))


def spec(
    app: str = "shell-script",
    parameters: dict[str, Any] | None = None,
    resources: list[dict[str, Any]] | None = None,
) -> JobSpecification:
    version = "1.0.0" if app == "shell-script" else "1.0"
    if parameters is None and app == "shell-script":
        parameters = {"script": {"type": "text", "value": "true"}}
    return JobSpecification.model_validate(
        {
            "application": {"name": app, "version": version},
            "product": {
                "id": "example-compute",
                "category": "example-compute",
                "provider": "example",
            },
            "parameters": parameters,
            "resources": resources,
            "allowDuplicateJob": True,
        }
    )


def file(path: str, read_only: bool | None = None) -> dict[str, Any]:
    return {"type": "file", "path": path, "readOnly": read_only}


async def home_with(files: FileService, user: str, *paths: str) -> tuple[str, Path]:
    """The user's Home drive id and folder on disk, with these files (a trailing / = folder)."""
    drive = await files.home(user)
    root = files.tree(drive).root
    for path in paths:
        target = root / path
        if path.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"contents of {path}")
    return drive.id, root


@asynchronous
async def test_a_jobs_work_folder_is_in_its_owners_home_drive_and_starts_with_it(
    store: Store, tmp_path: Path
) -> None:
    provider = mounting()
    async with service_with_files(store, tmp_path, provider) as (service, files):
        # When a job is created
        [job_id] = await service.create(ALICE, [spec()])
        # Then its folder is Jobs/<application title>/<job id> of the Home drive, made already
        home, root = await home_with(files, ALICE)
        folder = f"/{home}/Jobs/Shell script/{job_id}"
        record = service.job(job_id)
        assert record is not None and record.output_folder == folder
        [run] = provider.submitted
        assert run.workdir == (root / "Jobs" / "Shell script" / job_id).resolve()
        assert run.workdir.is_dir() and run.mounts == ()
        # And the update that starts it carries the output folder, the others do not
        provider.start_job(job_id)
        record = service.job(job_id)
        assert record is not None and record.state == JobState.RUNNING
        assert [(u.state, u.output_folder) for u in record.updates] == [
            (JobState.IN_QUEUE, None),
            (JobState.RUNNING, folder),
        ]


@asynchronous
async def test_file_values_are_mounted_below_work_and_the_command_line_names_them(
    store: Store, tmp_path: Path
) -> None:
    provider = mounting()
    async with service_with_files(store, tmp_path, provider) as (service, files):
        home, root = await home_with(files, ALICE, "in/words.txt", "refs/", "data/")
        # When a job gets an input file, an input folder and a read-only resource
        parameters = {"text": file(f"/{home}/in/words.txt"), "refs": file(f"/{home}/refs")}
        resources = [file(f"/{home}/data", read_only=True)]
        [job_id] = await service.create(ALICE, [spec("count", parameters, resources)])
        # Then each is mounted at /work/<its name>, read-only when asked
        [run] = provider.submitted
        real = root.resolve()
        assert set(run.mounts) == {
            Mount(real / "in" / "words.txt", "/work/words.txt", read_only=False),
            Mount(real / "refs", "/work/refs", read_only=False),
            Mount(real / "data", "/work/data", read_only=True),
        }
        # And the command line has the in-job paths, not the UCloud paths
        assert list(run.argv) == ["wc", "-w", "/work/words.txt", "/work/refs"]
        # While the job keeps what the user asked for
        record = service.job(job_id)
        assert record is not None
        stored = JobSpecification.model_validate_json(record.specification)
        assert stored.parameters is not None
        assert (
            stored.parameters["text"].model_dump(by_alias=True)["path"] == f"/{home}/in/words.txt"
        )


@asynchronous
async def test_a_whole_drive_is_mounted_under_its_title(store: Store, tmp_path: Path) -> None:
    provider = mounting()
    async with service_with_files(store, tmp_path, provider) as (service, files):
        drive = await files.create_drive(ALICE, "Lab data")
        await service.create(ALICE, [spec(resources=[file(f"/{drive.id}")])])
        [run] = provider.submitted
        assert [m.target for m in run.mounts] == ["/work/Lab data"]


@pytest.mark.parametrize(
    ("parameters", "resources", "status", "code"),
    [
        # another user's drive, or one that does not exist: 404, whatever the path
        ({}, [file("/{bob}/secret.txt")], 404, "DRIVE_NOT_FOUND"),
        ({}, [file("/{bob}")], 404, "DRIVE_NOT_FOUND"),
        ({}, [file("/999999/x")], 404, "DRIVE_NOT_FOUND"),
        ({"text": file("/{bob}/secret.txt")}, None, 404, "DRIVE_NOT_FOUND"),
        # a missing path in one's own drive
        ({"text": file("/{home}/nope.txt")}, None, 404, "FILE_NOT_FOUND"),
        ({}, [file("/{home}/nope")], 404, "FILE_NOT_FOUND"),
        # paths that try to leave the drive, or are not paths
        ({}, [file("/{home}/../{bob}/secret.txt")], 400, "INVALID_PATH"),
        ({}, [file("/{home}/in/../../{bob}")], 400, "INVALID_PATH"),
        ({"text": file("/{home}/in/words.txt\x00/x")}, None, 400, "INVALID_PATH"),
        ({}, [file("/etc/passwd")], 400, "INVALID_PATH"),
        ({}, [file("etc/passwd")], 400, "INVALID_PATH"),
        ({}, [file("//etc")], 400, "INVALID_PATH"),
        # a link planted in the drive, pointing out of it
        ({}, [file("/{home}/escape")], 400, "SYMLINK"),
        ({}, [file("/{home}/escape/canary.txt")], 400, "SYMLINK"),
        ({"text": file("/{home}/link.txt")}, None, 400, "SYMLINK"),
        # a folder for a file parameter, a file for a folder parameter
        ({"text": file("/{home}/in")}, None, 400, "INVALID_FILE"),
        (
            {"text": file("/{home}/in/words.txt"), "refs": file("/{home}/in/words.txt")},
            None,
            400,
            "INVALID_FILE",
        ),
        # two different files under one name
        (
            {"text": file("/{home}/in/words.txt")},
            [file("/{home}/other/words.txt")],
            400,
            "MOUNT_CONFLICT",
        ),
        # other kinds of resources
        ({}, [{"type": "peer", "hostname": "h", "jobId": "1"}], 400, "NOT_SUPPORTED"),
        ({}, [{"type": "network", "id": "1"}], 400, "NOT_SUPPORTED"),
        ({}, [{"type": "ingress", "id": "1"}], 400, "NOT_SUPPORTED"),
        ({}, [{"type": "license_server", "id": "1"}], 400, "NOT_SUPPORTED"),
    ],
)
@asynchronous
async def test_what_is_not_the_users_or_leaves_a_drive_is_refused_and_nothing_stored(
    store: Store,
    tmp_path: Path,
    parameters: dict[str, Any],
    resources: list[dict[str, Any]] | None,
    status: int,
    code: str,
) -> None:
    provider = mounting()
    async with service_with_files(store, tmp_path, provider) as (service, files):
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "canary.txt").write_text("canary")
        bob, _ = await home_with(files, BOB, "secret.txt")
        home, root = await home_with(files, ALICE, "in/words.txt", "other/words.txt")
        os.symlink(outside, root / "escape")
        os.symlink(outside / "canary.txt", root / "link.txt")

        def fill(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: fill(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v) for v in value]
            return value.format(home=home, bob=bob) if isinstance(value, str) else value

        params = {"text": file(f"/{home}/in/words.txt")} | fill(parameters)
        with pytest.raises(OrchidError) as refused:
            await service.create(ALICE, [spec("count", params, fill(resources))])
        assert (refused.value.status_code, refused.value.error_code) == (status, code)
        assert refused.value.why
        assert provider.submitted == []
        assert store.count_jobs() == 0


@asynchronous
async def test_a_provider_without_mounts_refuses_file_values(store: Store, tmp_path: Path) -> None:
    provider = FakeProvider(capabilities=Capabilities(mounts=False))
    async with service_with_files(store, tmp_path, provider) as (service, files):
        home, _ = await home_with(files, ALICE, "data/")
        with pytest.raises(BadRequest) as refused:
            await service.create(ALICE, [spec(resources=[file(f"/{home}/data")])])
        assert refused.value.error_code == "MOUNTS_NOT_SUPPORTED"
        assert "example" in refused.value.why
        # A job without files still runs there, with its /work in the Home drive
        await service.create(ALICE, [spec()])
        assert provider.submitted[0].workdir is not None


@asynchronous
async def test_a_restart_hands_back_the_same_folder_and_mounts(
    store: Store, tmp_path: Path
) -> None:
    provider = mounting()
    async with service_with_files(store, tmp_path, provider) as (service, files):
        home, _ = await home_with(files, ALICE, "in/words.txt")
        await service.create(ALICE, [spec("count", {"text": file(f"/{home}/in/words.txt")})])
    [first] = provider.submitted
    again = mounting()
    async with service_with_files(store, tmp_path, again):
        [[recovered]] = again.recovered
    assert recovered.workdir == first.workdir
    assert recovered.mounts == first.mounts and recovered.argv == first.argv


@asynchronous
async def test_a_never_started_job_whose_file_went_away_fails_on_restart(
    store: Store, tmp_path: Path
) -> None:
    provider = mounting()
    async with service_with_files(store, tmp_path, provider) as (service, files):
        home, root = await home_with(files, ALICE, "in/words.txt")
        [job_id] = await service.create(
            ALICE, [spec("count", {"text": file(f"/{home}/in/words.txt")})]
        )
    (root / "in" / "words.txt").unlink()
    again = mounting()
    async with service_with_files(store, tmp_path, again) as (service, _):
        record = service.job(job_id)
        assert record is not None and record.state == JobState.FAILURE
        assert "Cannot run any more" in (record.updates[-1].status or "")


@asynchronous
async def test_a_job_mounts_at_most_max_resources_files(store: Store, tmp_path: Path) -> None:
    provider = mounting()
    async with service_with_files(store, tmp_path, provider) as (service, files):
        home, _ = await home_with(files, ALICE, "data/")
        service.limits = Limits(max_resources=2)
        too_many = [file(f"/{home}/data")] * 3
        with pytest.raises(BadRequest) as refused:
            await service.create(ALICE, [spec(resources=too_many)])
        assert refused.value.error_code == "TOO_MANY_RESOURCES"
        assert "max_resources" in refused.value.why
        await service.create(ALICE, [spec(resources=too_many[:2])])
        assert [m.target for m in provider.submitted[0].mounts] == ["/work/data"]
