"""Jobs and drives together, on real files and real sandboxed jobs (decision 12).

A job reads what the user uploaded through a read-only mount, writes its result to /work (a
folder of the Home drive, browsable while the job runs and after it ends), and the result is
downloaded. What escapes a drive is refused at create with nothing stored, and a symbolic link a
job plants in its /work leads nowhere: not as a later job's mount or file parameter, not through
the files API, and not from inside a later job.
(tests/api/test_files_security.py covers the files API alone, with links planted by the test.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.files_support import assert_error, bulk, download, home, names, upload
from tests.client.servers import running_server
from tests.support import Api, Server, job_spec, logs_of, wait_until

READER = """\
tool: v1
name: reader-bash
version: "1"
title: Bash
description: Bash from the machine.
backend: NATIVE
---
application: v1
name: reader
version: "1.0"
title: Reader
description: Runs a script with an input file ($1) and an input folder ($2).
authors: [Orchid]
tool: {name: reader-bash, version: "1"}
invocation:
  - bash
  - -c
  - {type: var, vars: script}
  - reader
  - {type: var, vars: input}
  - {type: var, vars: folder}
parameters:
  script: {type: textarea, title: Script, description: Bash}
  input: {type: input_file, title: Input, description: a file}
  folder: {type: input_directory, title: Folder, description: a folder, optional: true}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose catalog also has `reader`, an application with file parameters."""
    base = tmp_path_factory.mktemp("jobfiles")
    (base / "apps").mkdir()
    (base / "apps" / "reader.yml").write_text(READER)
    (base / "orchid.toml").write_text(f'[catalog]\ndirectories = ["{base / "apps"}"]\n')
    with running_server(base / "data", ["--config", str(base / "orchid.toml")]) as srv:
        yield srv


@pytest.fixture(scope="module")
def alice(server: Server) -> Api:
    api = server.user("alice")
    assert upload(api, f"/{home(api)}/data/words.txt", b"one two three\n").status_code == 200
    return api


@pytest.fixture(scope="module")
def victim(server: Server) -> Api:
    api = server.user("victim")
    assert upload(api, f"/{home(api)}/secret.txt", b"victim's secret").status_code == 200
    return api


@pytest.fixture(scope="module")
def outside(server: Server) -> Path:
    """A folder beside the storage root, with a canary file no job or call may read or change."""
    folder = server.data_dir / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "canary.txt").write_text("canary\n")
    folder.chmod(0o755)
    return folder


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file() and not p.is_symlink()
        else "other"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(autouse=True)
def nothing_outside_changes(outside: Path, victim: Api, server: Server) -> Iterator[None]:
    victim_drive = server.data_dir / "files" / home(victim)
    before = fingerprint(outside), fingerprint(victim_drive)
    yield
    assert (fingerprint(outside), fingerprint(victim_drive)) == before


def file(path: str, read_only: bool | None = None) -> dict[str, Any]:
    return {"type": "file", "path": path, "readOnly": read_only}


def create(api: Api, spec: dict[str, Any]) -> Any:
    return api.http.post("/api/jobs", json={"items": [spec]})


def shell(script: str, resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec = job_spec(script=script)
    spec["resources"] = resources
    return spec


def reader(script: str, **files: dict[str, Any]) -> dict[str, Any]:
    return job_spec(
        app="reader",
        version="1.0",
        parameters={"script": {"type": "text", "value": script}, **files},
    )


def run(api: Api, spec: dict[str, Any]) -> dict[str, Any]:
    """Create the job, wait for its end; the final job (with its stdout as `stdout`)."""
    r = create(api, spec)
    assert r.status_code == 200, r.text
    job_id = r.json()["responses"][0]["id"]
    frames = list(api.follow(job_id))
    job = api.wait_for(job_id, "SUCCESS", "FAILURE", "EXPIRED")
    job["stdout"] = logs_of(frames).get(0, "")
    return job


def job_count(api: Api) -> int:
    return len(api.http.get("/api/jobs/browse", params={"itemsPerPage": 250}).json()["items"])


def test_a_job_reads_a_read_only_mount_and_writes_its_result_to_work(alice: Api) -> None:
    h = home(alice)
    # Given words uploaded to the Home drive, mounted read-only
    script = (
        "set -e\n"
        "wc -w < /work/data/words.txt > /work/count.txt\n"
        "if echo x > /work/data/new.txt 2>/dev/null; then echo WROTE; exit 9; fi\n"
        "echo read-only held\n"
    )
    # When a job counts them into /work, and tries to write into the mount
    job = run(alice, shell(script, [file(f"/{h}/data", read_only=True)]))
    # Then it succeeded, its write into the mount failed inside it
    assert job["status"]["state"] == "SUCCESS", job["updates"]
    assert "exit code 0" in job["updates"][-1]["status"]
    assert "read-only held" in job["stdout"]
    assert names(alice, f"/{h}/data") == ["words.txt"]
    # And its result is in its output folder, named by the update that started it
    folder = job["output"]["outputFolder"]
    assert folder == f"/{h}/Jobs/Shell script/{job['id']}"
    assert [u["outputFolder"] for u in job["updates"] if u["state"] == "RUNNING"] == [folder]
    got = download(alice, f"{folder}/count.txt")
    assert got.status_code == 200 and got.text.strip() == "3"


def test_a_read_write_mount_is_written_through_and_the_output_is_visible_live(
    alice: Api,
) -> None:
    h = home(alice)
    script = "echo done > /work/data/written.txt; echo early > /work/early.txt; sleep 60"
    r = create(alice, shell(script, [file(f"/{h}/data")]))
    assert r.status_code == 200, r.text
    job_id = r.json()["responses"][0]["id"]
    job = alice.wait_for(job_id, "RUNNING")
    folder = job["output"]["outputFolder"]
    try:
        # While it runs, what it wrote is there
        wait_until(lambda: "early.txt" in names(alice, folder), "early.txt in the output folder")
        assert alice.retrieve(job_id)["status"]["state"] == "RUNNING"
        assert download(alice, f"/{h}/data/written.txt").text == "done\n"
    finally:
        alice.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    alice.wait_for(job_id, "SUCCESS")
    # And after the end
    assert download(alice, f"{folder}/early.txt").text == "early\n"
    bulk(alice, "DELETE", "/api/files", {"id": f"/{h}/data/written.txt"})


def test_a_file_parameter_is_the_in_job_path_on_the_command_line(alice: Api) -> None:
    h = home(alice)
    script = 'echo "$1" > /work/arg.txt; echo "$2" >> /work/arg.txt; cat "$1" > /work/copy.txt'
    job = run(
        alice,
        reader(script, input=file(f"/{h}/data/words.txt"), folder=file(f"/{h}/Jobs")),
    )
    assert job["status"]["state"] == "SUCCESS", job["updates"]
    folder = job["output"]["outputFolder"]
    assert folder == f"/{h}/Jobs/Reader/{job['id']}"
    assert download(alice, f"{folder}/arg.txt").text == "/work/words.txt\n/work/Jobs\n"
    assert download(alice, f"{folder}/copy.txt").text == "one two three\n"
    # The job keeps what the user asked for
    parameters = job["specification"]["parameters"]
    assert parameters["input"]["path"] == f"/{h}/data/words.txt"


def test_links_a_job_plants_in_its_work_lead_nowhere(
    alice: Api, victim: Api, server: Server, outside: Path
) -> None:
    victim_drive = server.data_dir / "files" / home(victim)
    # Given a job that plants links to outside its drive in its /work
    planter = run(
        alice,
        shell(
            f"ln -s {outside} /work/escape; ln -s {outside}/canary.txt /work/canary-link; "
            f"ln -s {victim_drive} /work/victim; ln -s /etc/passwd /work/passwd"
        ),
    )
    assert planter["status"]["state"] == "SUCCESS", planter["updates"]
    out = planter["output"]["outputFolder"]
    before = job_count(alice)
    # Then no later job may mount them or get them as a file parameter: 400, nothing stored
    for link in ("escape", "victim", "canary-link", "passwd"):
        assert_error(create(alice, shell("true", [file(f"{out}/{link}")])), 400, "SYMLINK")
    assert_error(create(alice, shell("true", [file(f"{out}/escape/canary.txt")])), 400, "SYMLINK")
    refused = create(alice, reader("cat $1", input=file(f"{out}/canary-link")))
    assert_error(refused, 400, "SYMLINK")
    refused = create(alice, reader("cat $1", input=file(f"{out}/victim/secret.txt")))
    assert_error(refused, 400, "SYMLINK")
    assert job_count(alice) == before
    # And the files API lists them as links and never goes through them
    kinds = {
        i["id"].rsplit("/", 1)[1]: i["status"]["type"]
        for i in alice.http.get("/api/files/browse", params={"path": out}).json()["items"]
    }
    assert kinds == dict.fromkeys(["escape", "canary-link", "victim", "passwd"], "SOFT_LINK")
    assert_error(alice.http.get("/api/files/browse", params={"path": f"{out}/escape"}), 400)
    assert_error(download(alice, f"{out}/canary-link"), 400)
    assert_error(download(alice, f"{out}/victim/secret.txt"), 400, "SYMLINK")
    # And a later job that mounts the folder holding them cannot read through them
    reading = run(
        alice,
        shell(
            "for f in canary-link escape/canary.txt victim/secret.txt; do "
            f'  if cat "/work/{planter["id"]}/$f" 2>/dev/null; then echo "READ $f"; fi; done; '
            f"ls /work/{planter['id']} && echo checked",
            [file(out, read_only=True)],
        ),
    )
    assert reading["status"]["state"] == "SUCCESS", reading["updates"]
    assert "checked" in reading["stdout"] and "READ" not in reading["stdout"]
    assert "canary" not in reading["stdout"].splitlines()
    assert "victim's secret" not in reading["stdout"]


def test_another_users_drive_is_404_at_create_and_nothing_is_stored(
    alice: Api, victim: Api
) -> None:
    v = home(victim)
    before = job_count(alice)
    for path in (f"/{v}", f"/{v}/secret.txt", f"/{v}/Jobs", "/999999/x"):
        assert_error(create(alice, shell("true", [file(path)])), 404, "DRIVE_NOT_FOUND")
        assert_error(create(alice, reader("true", input=file(path))), 404, "DRIVE_NOT_FOUND")
    assert_error(create(alice, shell("true", [file(f"/{home(alice)}/nope")])), 404)
    assert job_count(alice) == before


@pytest.mark.parametrize(
    "path",
    [
        "/{h}/../{v}/secret.txt",
        "/{h}/data/../../{v}",
        "/{h}/..",
        "/../etc/passwd",
        "/etc/passwd",
        "etc/passwd",
        "//etc/passwd",
        "/{h}/data\x00/words.txt",
        "/{h}/" + "x" * 300,
        "",
    ],
)
def test_paths_that_escape_or_are_not_paths_are_400(alice: Api, victim: Api, path: str) -> None:
    p = path.format(h=home(alice), v=home(victim))
    before = job_count(alice)
    assert_error(create(alice, shell("true", [file(p)])), 400)
    assert_error(create(alice, reader("true", input=file(p))), 400)
    assert job_count(alice) == before


def test_two_files_under_one_name_and_other_resources_are_refused(alice: Api) -> None:
    h = home(alice)
    assert upload(alice, f"/{h}/other/words.txt", b"x").status_code == 200
    clash = reader("true", input=file(f"/{h}/data/words.txt"))
    clash["resources"] = [file(f"/{h}/other/words.txt")]
    assert_error(create(alice, clash), 400, "MOUNT_CONFLICT")
    peer = shell("true", [{"type": "peer", "hostname": "h", "jobId": "1"}])
    assert_error(create(alice, peer), 400, "NOT_SUPPORTED")
    wrong_kind = reader("true", input=file(f"/{h}/data"))
    assert_error(create(alice, wrong_kind), 400, "INVALID_FILE")
