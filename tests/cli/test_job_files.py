"""`orchid run --mount` and `orchid jobs output` against a real server: what a job leaves in its
output folder is listed and downloaded; paths that are not the user's are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.clitools import Cli, Result, assert_one_line_error, cli_for
from tests.support import Api, Server


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "jobfiles", tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def cli(user: tuple[Cli, Api]) -> Cli:
    return user[0]


def ok(result: Result) -> Result:
    assert result.code == 0, (result.out, result.err)
    return result


def test_a_jobs_output_folder_is_listed_and_downloaded(cli: Cli, tmp_path: Path) -> None:
    # Given a job, and a file in its output folder (its /work in the Home drive)
    created = ok(cli("run", "shell-script", "-p", "script=true", "-o", "json")).json()
    job_id = str(created["id"])
    folder = created["output"]["outputFolder"]
    assert folder.endswith(f"/Jobs/Shell script/{job_id}")
    shown = ok(cli("jobs", "show", job_id))
    assert folder in shown.out
    local = tmp_path / "result.txt"
    local.write_text("42\n")
    ok(cli("files", "upload", str(local), f"{folder}/result.txt"))
    ok(cli("files", "mkdir", f"{folder}/plots"))
    (tmp_path / "a.svg").write_text("<svg/>")
    ok(cli("files", "upload", str(tmp_path / "a.svg"), f"{folder}/plots/a.svg"))
    # When its output is listed
    listed = ok(cli("jobs", "output", job_id))
    # Then it names the folder and what is in it
    assert f"~/Jobs/Shell script/{job_id}" in listed.err
    assert "result.txt" in listed.out and "plots/" in listed.out
    as_json = json.loads(ok(cli("jobs", "output", job_id, "-o", "json")).out)
    assert sorted(e["id"].rsplit("/", 1)[1] for e in as_json) == ["plots", "result.txt"]
    # And --download brings the whole folder down
    target = tmp_path / "out"
    ok(cli("jobs", "output", job_id, "--download", str(target)))
    assert (target / "result.txt").read_text() == "42\n"
    assert (target / "plots" / "a.svg").read_text() == "<svg/>"
    # A second download does not overwrite without --force
    assert_one_line_error(cli("jobs", "output", job_id, "--download", str(target)), "--force")
    ok(cli("jobs", "output", job_id, "--download", str(target), "--force"))


def test_a_job_reads_a_read_only_mount_and_its_result_comes_back(cli: Cli, tmp_path: Path) -> None:
    # Given a file uploaded to the Home drive
    (tmp_path / "words.txt").write_text("one two three four five\n")
    ok(cli("files", "upload", str(tmp_path / "words.txt"), "~/cli-data/words.txt"))
    # When a job counts its words through a read-only mount, and tries to write into it
    script = (
        "wc -w < /work/cli-data/words.txt > count.txt; "
        "touch /work/cli-data/x 2>/dev/null && echo WROTE || echo read-only"
    )
    followed = ok(
        cli("run", "shell-script", "-p", f"script={script}", "--mount", "~/cli-data:ro", "-f")
    )
    # Then the write failed inside the job, and the count comes back with `jobs output`
    assert "read-only" in followed.out and "WROTE" not in followed.out
    job_id = followed.err.split("Following job ", 1)[1].split(" ", 1)[0]
    ok(cli("jobs", "output", job_id, "--download", str(tmp_path / "out")))
    assert (tmp_path / "out" / "count.txt").read_text().strip() == "5"
    # (the mount's own files stay where they are: at most an empty mount point is left)
    assert not (tmp_path / "out" / "cli-data" / "words.txt").exists()
    shown = ok(cli("jobs", "show", job_id))
    assert "--mount" in shown.out and "/cli-data:ro" in shown.out


def test_another_users_job_or_a_missing_one_is_a_one_line_error(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    other, _ = cli_for(server, "jobfiles-other", tmp_path / "config")
    created = ok(other("run", "shell-script", "-p", "script=true", "-o", "json")).json()
    assert_one_line_error(cli("jobs", "output", str(created["id"])), "not found")
    assert_one_line_error(cli("jobs", "output", "999999"), "not found")


@pytest.mark.parametrize(
    ("mount", "fragment"),
    [
        ("relative/path", "~/"),
        ("/", "mount a drive"),
        (":ro", "needs a path"),
        ("~/no-such-folder:ro", "no-such-folder"),
        ("/999999/data", "999999"),
    ],
)
def test_mounts_that_cannot_be_are_one_line_errors(cli: Cli, mount: str, fragment: str) -> None:
    result = cli("run", "shell-script", "-p", "script=true", "--mount", mount)
    assert_one_line_error(result, fragment)
