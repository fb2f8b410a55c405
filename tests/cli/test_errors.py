"""Bad input gives one line naming the problem and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest

from tests.cli.clitools import Cli, Result, assert_one_line_error, cli_for, run_together
from tests.support import Api, Server, free_port


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "clumsy", tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def cli(user: tuple[Cli, Api]) -> Cli:
    return user[0]


BAD_INPUT: list[tuple[list[str], list[str]]] = [
    (["run", "nope"], ["unknown application 'nope'", "shell-script, sleep"]),
    (["run", "sleep@9.9"], ["unknown application 'sleep@9.9'"]),
    (["run", "sleep", "-p", "seconds=1", "--time", "1x"], ["--time", "not a duration: '1x'"]),
    (["run", "sleep", "-p", "seconds=1", "--time", "0s"], ["--time must be longer than 0s"]),
    (["run", "sleep"], ["needs parameter 'seconds'", "--param seconds=VALUE"]),
    (["run", "sleep", "-p", "seconds=abc"], ["seconds must be an integer, not 'abc'"]),
    (["run", "sleep", "-p", "seconds=1", "-p", "nope=2"], ["has no parameter 'nope'"]),
    (["run", "sleep", "-p", "seconds"], ["expected key=value"]),
    (
        ["run", "sleep", "-p", "seconds=1", "-p", "seconds=2"],
        ["--param seconds is given twice"],
    ),
    (["run", "shell-script", "-p", "script=@/nonexistent/x.sh"], ["cannot read /nonexistent"]),
    (["run", "sleep", "-p", "seconds=1", "--product", "huge"], ["unknown product 'huge'"]),
    (["run", "sleep", "-p", "seconds=-1"], ["less than the minimum 0", "INVALID_PARAMETER"]),
    (["jobs", "show", "99999"], ["not found (99999)"]),
    (["jobs", "follow", "99999"], ["not found (99999)"]),
    (["jobs", "extend", "99999", "soon"], ["not a duration: 'soon'"]),
    (["jobs", "terminate", "99999"], ["not found"]),
    (["jobs", "list", "--created-after", "someday"], ["--created-after", "not a date"]),
    (["apps", "show", "nope"], ["unknown application 'nope'"]),
]


@pytest.fixture(scope="module")
def bad_input_results(cli: Cli) -> dict[tuple[str, ...], Result]:
    return run_together(cli, [tuple(args) for args, _ in BAD_INPUT])


@pytest.mark.parametrize(("args", "fragments"), BAD_INPUT, ids=lambda v: " ".join(v))
def test_bad_input_is_one_line(
    bad_input_results: dict[tuple[str, ...], Result], args: list[str], fragments: list[str]
) -> None:
    assert_one_line_error(bad_input_results[tuple(args)], *fragments)


def test_extending_a_finished_job_says_why(cli: Cli, user: tuple[Cli, Api]) -> None:
    api = user[1]
    job_id = api.create(script="true")
    api.wait_for(job_id, "SUCCESS")
    assert_one_line_error(cli("jobs", "extend", job_id, "1h"), "cannot be extended")


@pytest.mark.parametrize("args", [["jobs", "list"], ["jobs", "follow", "1"], ["run", "sleep"]])
def test_an_unreachable_server_is_named(cli: Cli, args: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli(*args, env=cli.env | {"ORCHID_URL": url})
    assert_one_line_error(result, f"cannot reach Orchid at {url}")


@pytest.mark.parametrize("args", [["products", "list"], ["jobs", "follow", "1"]])
def test_a_bad_token_is_named(cli: Cli, args: list[str]) -> None:
    result = cli(*args, env=cli.env | {"ORCHID_TOKEN": "stolen"})
    assert_one_line_error(result, "the server refused the token", "orchid login")


def test_a_url_that_is_not_a_url_is_named(cli: Cli) -> None:
    result = cli("jobs", "list", env=cli.env | {"ORCHID_URL": "localhost:8080"})
    assert_one_line_error(result, "ORCHID_URL must be an http(s) URL")


def test_without_login_or_environment_it_says_how_to_log_in(cli: Cli) -> None:
    env = {k: v for k, v in cli.env.items() if k not in ("ORCHID_URL", "ORCHID_TOKEN")}
    assert_one_line_error(cli("jobs", "list", env=env), "not logged in", "orchid login URL")
