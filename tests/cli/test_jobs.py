"""`orchid jobs list|show|follow|extend|terminate`, for people and for scripts."""

from __future__ import annotations

import signal

import pytest

from tests.cli.clitools import Cli, cli_for, read_until
from tests.support import Api, Server


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "jobber", tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def cli(user: tuple[Cli, Api]) -> Cli:
    return user[0]


@pytest.fixture(scope="module")
def api(user: tuple[Cli, Api]) -> Api:
    return user[1]


@pytest.fixture(scope="module")
def jobs(api: Api) -> dict[str, str]:
    """A finished shell job and a running sleep job with two hours to go."""
    done = api.create(script="echo finished", name="done-job")
    napping = api.create(
        app="sleep", parameters={"seconds": {"type": "integer", "value": 300}}, hours=2, name="nap"
    )
    api.wait_for(done, "SUCCESS")
    api.wait_for(napping, "RUNNING")
    return {"done": done, "napping": napping}


def test_list_shows_a_table_for_people(cli: Cli, jobs: dict[str, str]) -> None:
    result = cli("jobs", "list")
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == ["ID", "NAME", "APP", "STATE", "CREATED", "TIME", "LEFT"]
    by_id = {row.split()[0]: row for row in rows}
    assert "nap" in by_id[jobs["napping"]] and "RUNNING" in by_id[jobs["napping"]]
    assert "1h 59m" in by_id[jobs["napping"]]
    assert "just now" in by_id[jobs["napping"]] or "s ago" in by_id[jobs["napping"]]
    assert "SUCCESS" in by_id[jobs["done"]] and "shell-script 1.0.0" in by_id[jobs["done"]]


def test_list_filters_by_state_app_and_date_in_json(cli: Cli, jobs: dict[str, str]) -> None:
    def ids(*args: str) -> list[str]:
        result = cli("jobs", "list", "-o", "json", *args)
        assert result.code == 0, result.err
        return [job["id"] for job in result.json()]

    assert ids("--state", "running") == [jobs["napping"]]
    assert ids("--app", "shell-script", "--created-after", "1h")[-1] == jobs["done"]
    assert ids("--created-before", "2000-01-01") == []
    assert len(ids("--limit", "1")) == 1


def test_show_gives_the_details_and_the_timeline(cli: Cli, jobs: dict[str, str]) -> None:
    result = cli("jobs", "show", jobs["done"])
    assert result.code == 0, result.err
    for text in ("done-job", "shell-script 1.0.0", "example-compute", "1 vCPU", "--param script"):
        assert text in result.out
    for status in ("Your job is now waiting in the queue!", "Your job has completed (exit code 0)"):
        assert status in result.out
    job = cli("jobs", "show", jobs["done"], "--output", "json").json()
    assert job["id"] == jobs["done"] and job["status"]["state"] == "SUCCESS"
    assert [u["state"] for u in job["updates"]] == ["IN_QUEUE", "RUNNING", "SUCCESS"]
    assert job["status"]["resolvedProduct"]["id"] == "example-compute"


def test_extend_moves_the_deadline_by_exactly_that_much(
    cli: Cli, api: Api, jobs: dict[str, str]
) -> None:
    before = api.retrieve(jobs["napping"])["status"]["expiresAt"]
    result = cli("jobs", "extend", jobs["napping"], "1h")
    assert result.code == 0, result.err
    assert f"Extended job {jobs['napping']} by 1h" in result.out and "(in 2h 59m)" in result.out
    after = cli("jobs", "extend", jobs["napping"], "30s", "-o", "json").json()
    assert after["status"]["expiresAt"] == before + 3_600_000 + 30_000


def test_follow_replays_a_finished_job_and_exits_0(cli: Cli, jobs: dict[str, str]) -> None:
    result = cli("jobs", "follow", jobs["done"])
    assert result.code == 0, result.err
    assert result.out == "finished\n"
    assert "ended SUCCESS (exit code 0)" in result.err


def test_terminate_stops_several_jobs_and_waits_for_them(cli: Cli, api: Api) -> None:
    ids = [
        api.create(app="sleep", parameters={"seconds": {"type": "integer", "value": 100 + n}})
        for n in range(2)
    ]
    result = cli("jobs", "terminate", *ids)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [f"Job {i}: SUCCESS" for i in ids]
    for job_id in ids:
        assert api.retrieve(job_id)["updates"][-1]["status"] == "Your job has been cancelled!"
    again = cli("jobs", "terminate", ids[0], "--output", "json")
    assert [job["status"]["state"] for job in again.json()] == ["SUCCESS"]


def test_terminate_without_waiting_answers_at_once(cli: Cli, api: Api) -> None:
    job_id = api.create(app="sleep", parameters={"seconds": {"type": "integer", "value": 99}})
    result = cli("jobs", "terminate", job_id, "--no-wait", "-o", "json")
    assert result.code == 0, result.err
    assert result.json()[0]["status"]["state"] in ("CANCELING", "SUCCESS")
    api.wait_for(job_id, "SUCCESS")


def test_watch_refreshes_until_ctrl_c(cli: Cli, jobs: dict[str, str]) -> None:
    process = cli.popen("jobs", "list", "--watch", "--interval", "0.2", "-o", "json")
    assert process.stdout is not None
    first = read_until(process.stdout.fileno(), "\n")
    second = read_until(process.stdout.fileno(), "\n", seen=first.split("\n", 1)[1])
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert jobs["napping"] in first and jobs["napping"] in second
    assert b"Traceback" not in err
