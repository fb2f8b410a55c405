"""`orchid run`: create jobs from the command line, follow them, and exit with their outcome."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.clitools import Cli, cli_for, read_until, strip_ansi
from tests.client.servers import running_server
from tests.support import Api, Server


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "runner", tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def cli(user: tuple[Cli, Api]) -> Cli:
    return user[0]


@pytest.fixture(scope="module")
def api(user: tuple[Cli, Api]) -> Api:
    return user[1]


def test_a_followed_job_streams_its_output_and_success_exits_0(cli: Cli) -> None:
    result = cli(
        "run", "shell-script", "--param", "script=echo hello; echo oops >&2; exit 3", "--follow"
    )
    # The job's own stdout is ours, and nothing else is; its stderr and the states go to stderr
    assert result.code == 0, result.err
    assert result.out == "hello\n"
    assert "oops\n" in result.err
    for state in ("IN_QUEUE", "RUNNING", "SUCCESS"):
        assert state in result.err
    assert result.err.strip().splitlines()[-1].endswith("ended SUCCESS (exit code 3)")


def test_replicas_are_prefixed_with_their_rank_on_stdout_and_stderr(cli: Cli) -> None:
    script = 'script=echo "out $ORCHID_RANK"; echo "err $ORCHID_RANK" >&2; printf tail'
    result = cli("run", "shell-script", "--replicas", "2", "--param", script, "--follow")
    assert result.code == 0, result.err
    assert sorted(result.out.splitlines()) == ["[0] out 0", "[0] tail", "[1] out 1", "[1] tail"]
    assert "[0] err 0\n" in result.err and "[1] err 1\n" in result.err


def test_a_job_that_runs_out_of_time_exits_4(cli: Cli, api: Api) -> None:
    result = cli("run", "sleep", "--param", "seconds=60", "--time", "1s", "--follow")
    assert result.code == 4, result.err
    assert "EXPIRED" in result.err.strip().splitlines()[-1]


def test_a_job_orchid_cannot_run_is_a_failure_and_exits_3(tmp_path: Path) -> None:
    # A server whose PATH has no `sleep`, running jobs without the sandbox (whose PATH is the
    # system's own): the local provider cannot start the job
    config = tmp_path / "orchid.toml"
    config.write_text('[providers.example]\nkind = "local"\nsandbox = "none"\n')
    args = ["--config", str(config)]
    with running_server(tmp_path / "orchid", args, PATH=str(tmp_path / "empty")) as server:
        cli, _ = cli_for(server, "unlucky", tmp_path / "config")
        result = cli("run", "sleep", "--param", "seconds=1", "--follow")
    assert result.code == 3, result.err
    assert "FAILURE" in result.err and "'sleep' not found" in result.err


def test_json_follow_prints_one_wire_message_per_line(cli: Cli) -> None:
    result = cli("run", "shell-script", "-p", "script=echo json", "--follow", "--output", "json")
    assert result.code == 0, result.err
    messages = result.json_lines()
    assert messages[0]["initialJob"]["specification"]["application"]["name"] == "shell-script"
    assert [e["stdout"] for m in messages for e in m["log"]] == ["json\n"]
    states = [m["newStatus"]["state"] for m in messages if m["newStatus"]]
    assert states[-1] == "SUCCESS"


def test_parameters_are_typed_by_the_app_and_files_are_read(cli: Cli, tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text("echo from a file\n")
    created = cli(
        "run",
        "shell-script@1.0.0",
        "--param",
        f"script=@{script}",
        "--name",
        "from-file",
        "--time",
        "1h30m",
        "--product",
        "example/example-compute-large",
        "-o",
        "json",
    )
    assert created.code == 0, created.err
    job = created.json()
    spec = job["specification"]
    assert spec["parameters"] == {"script": {"type": "textarea", "value": "echo from a file\n"}}
    assert spec["name"] == "from-file"
    assert spec["timeAllocation"] == {"hours": 1, "minutes": 30, "seconds": 0}
    assert spec["product"] == {
        "id": "example-compute-large",
        "category": "example-compute",
        "provider": "example",
    }
    sleeping = cli("run", "sleep", "--param", "seconds=0", "-o", "json").json()
    assert sleeping["specification"]["parameters"] == {"seconds": {"type": "integer", "value": 0}}
    assert sleeping["specification"]["product"]["id"] == "example-compute"


def test_an_identical_active_job_needs_allow_duplicate(cli: Cli, api: Api) -> None:
    args = ("run", "sleep", "--param", "seconds=61", "-o", "json")
    first = cli(*args).json()["id"]
    again = cli(*args)
    assert again.code == 1 and "--allow-duplicate" in again.err
    second = cli(*args, "--allow-duplicate").json()["id"]
    assert second != first
    api.http.post("/api/jobs/terminate", json={"items": [{"id": first}, {"id": second}]})


def _job_id_from(header: str) -> str:
    return strip_ansi(header).split("Following job ", 1)[1].split()[0]


def test_ctrl_c_without_a_terminal_detaches_and_leaves_the_job_running(cli: Cli, api: Api) -> None:
    process = cli.popen("run", "sleep", "--param", "seconds=62", "--follow")
    assert process.stderr is not None
    seen = read_until(process.stderr.fileno(), "RUNNING")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    text = seen + err.decode()
    assert process.returncode == 130, text
    assert "Detached from job" in text and "Traceback" not in text
    job_id = _job_id_from(seen)
    assert api.retrieve(job_id)["status"]["state"] == "RUNNING"
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, int]]:
    primary, secondary = os.openpty()
    yield primary, secondary
    for fd in (primary, secondary):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_ctrl_c_on_a_terminal_asks_and_terminates_the_job(
    cli: Cli, api: Api, pty_pair: tuple[int, int]
) -> None:
    primary, secondary = pty_pair
    process = cli.popen(
        "run",
        "sleep",
        "--param",
        "seconds=63",
        "--follow",
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    seen = read_until(primary, "RUNNING")
    process.send_signal(signal.SIGINT)
    seen = read_until(primary, "[y/N]", seen=seen)
    os.write(primary, b"y\n")
    seen = read_until(primary, "terminated", seen=seen)
    assert process.wait(timeout=20) == 130
    job_id = _job_id_from(seen)
    job = api.retrieve(job_id)
    assert job["status"]["state"] == "SUCCESS"
    assert job["updates"][-1]["status"] == "Your job has been cancelled!"
