"""An operator's application directory, served by a real `orchid serve`: listed, run, reloaded.

The server reads `[catalog] directories` from its configuration file. These tests share one server
and change its directory as an operator would, then `orchid apps reload` it.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.clitools import Cli, cli_for
from tests.client.servers import running_server
from tests.support import Api, Server, job_spec, logs_of, restart_while_running

EXAMPLES = Path(__file__).parents[2] / "examples" / "apps"


def hello(version: str, greeting: str) -> str:
    """A tool and one version of an application that greets, then waits to be stopped."""
    return textwrap.dedent(
        f"""\
        tool: v1
        name: hello-tool
        version: "{version}"
        backend: NATIVE
        ---
        application: v1
        name: hello
        version: "{version}"
        title: Hello
        tool: {{name: hello-tool, version: "{version}"}}
        invocation:
          - bash
          - -c
          - 'echo "{greeting} $1"; exec sleep "$2"'
          - hello
          - {{type: var, vars: who}}
          - {{type: var, vars: seconds}}
        parameters:
          who: {{type: text, title: Who, defaultValue: world}}
          seconds: {{type: integer, min: 0, defaultValue: 0}}
        """
    )


@pytest.fixture(scope="module")
def apps_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("operator")
    apps = base / "apps"
    apps.mkdir()
    shutil.copy(EXAMPLES / "countdown.yml", apps)
    (apps / "hello-1.yml").write_text(hello("1", "Hello"))
    (base / "orchid.toml").write_text('[catalog]\ndirectories = ["apps"]\n')
    return apps


@pytest.fixture(scope="module")
def server(apps_dir: Path) -> Iterator[Server]:
    config = apps_dir.parent / "orchid.toml"
    with running_server(apps_dir.parent / "data", args=["--config", str(config)]) as srv:
        yield srv


@pytest.fixture(scope="module")
def user(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Api]:
    return cli_for(server, "operator", tmp_path_factory.mktemp("config"))


def test_operator_apps_are_listed_next_to_the_builtin_ones(user: tuple[Cli, Api]) -> None:
    cli, _ = user

    listed = cli("apps", "list", "-o", "json")
    shown = cli("apps", "show", "countdown")

    assert listed.code == 0, listed.err
    names = {(a["metadata"]["name"], a["metadata"]["version"]) for a in listed.json()}
    assert {("countdown", "1.0"), ("hello", "1"), ("sleep", "1.0.0")} <= names
    assert shown.code == 0, shown.err
    assert "Software: example-bash@1, native (BATCH)" in shown.out
    for parameter in ("start", "step", "pause", "label", "message", "loud", "signature"):
        assert parameter in shown.out


def test_the_example_app_runs_with_every_kind_of_value(user: tuple[Cli, Api]) -> None:
    _, api = user
    parameters = {
        "start": {"type": "integer", "value": 2},
        "pause": {"type": "floating_point", "value": 0},
        "label": {"type": "text", "value": "Beep"},
        "message": {"type": "textarea", "value": "done; rm -rf ~"},
        "loud": {"type": "boolean", "value": True},
        "signature": {"type": "text", "value": "$(whoami)"},
    }
    spec = job_spec(app="countdown", parameters=parameters)
    spec["application"]["version"] = "1.0"

    r = api.http.post("/api/jobs", json={"items": [spec]})
    assert r.status_code == 200, r.text
    job_id = r.json()["responses"][0]["id"]
    frames = list(api.follow(job_id))

    assert api.retrieve(job_id)["status"]["state"] == "SUCCESS"
    assert logs_of(frames)[0] == "beep 2\nbeep 1\nDONE; RM -RF ~\n-- $(whoami)\n"


def test_a_value_off_the_integer_step_is_refused(user: tuple[Cli, Api]) -> None:
    _, api = user
    spec = job_spec(app="countdown", parameters={"step": {"type": "integer", "value": 11}})
    spec["application"]["version"] = "1.0"

    r = api.http.post("/api/jobs", json={"items": [spec]})

    assert r.status_code == 400
    assert r.json() == {
        "why": "invalid value for 'step': 11 is greater than the maximum 10",
        "errorCode": "INVALID_PARAMETER",
    }


def test_reload_serves_a_new_version_and_leaves_running_jobs_alone(
    server: Server, apps_dir: Path, user: tuple[Cli, Api]
) -> None:
    cli, api = user
    spec = job_spec(app="hello", parameters={"seconds": {"type": "integer", "value": 600}})
    spec["application"]["version"] = "1"
    running = api.http.post("/api/jobs", json={"items": [spec]}).json()["responses"][0]["id"]
    api.wait_for(running, "RUNNING")

    # Given a new version and a broken file, when the operator reloads,
    (apps_dir / "hello-2.yml").write_text(hello("2", "Hi"))
    (apps_dir / "broken.yml").write_text(
        "application: v1\nname: broken\nparameters: {x: {type: nope}}\n"
    )
    reloaded = cli("apps", "reload", "--data-dir", str(server.data_dir))

    # then the new version is the default, the broken file is named, and the job runs on.
    assert reloaded.code == 1
    assert "reloaded: " in reloaded.out
    assert (
        f"{apps_dir}/broken.yml: parameters.x.type: unknown parameter type: 'nope'" in reloaded.err
    )
    newest = api.http.get("/api/hpc/apps/byNameAndVersion", params={"appName": "hello"}).json()
    assert newest["metadata"]["version"] == "2"
    both = [
        a["metadata"]["version"]
        for a in cli("apps", "list", "-o", "json").json()
        if a["metadata"]["name"] == "hello"
    ]
    assert both == ["1", "2"]
    assert api.retrieve(running)["status"]["state"] == "RUNNING"

    # A file that breaks keeps its previous version in service.
    (apps_dir / "hello-1.yml").write_text(hello("1", "Hello") + "bogus: key\n")
    again = cli("apps", "reload", "--data-dir", str(server.data_dir))
    assert "hello-1.yml: [1] bogus: unknown field" in again.err
    assert "hello-1.yml: not reloaded: its previous version stays in use" in again.err
    still = api.http.get(
        "/api/hpc/apps/byNameAndVersion", params={"appName": "hello", "appVersion": "1"}
    )
    assert still.status_code == 200

    api.http.post("/api/jobs/terminate", json={"items": [{"id": running}]})
    ended = api.wait_for(running, "SUCCESS")
    assert ended["updates"][-1]["status"] == "Your job has been cancelled!"
    (apps_dir / "broken.yml").unlink()
    (apps_dir / "hello-1.yml").write_text(hello("1", "Hello"))


def test_operator_apps_survive_a_restart(server: Server, user: tuple[Cli, Api]) -> None:
    _, api = user
    spec = job_spec(app="hello", parameters={"seconds": {"type": "integer", "value": 600}})
    spec["application"]["version"] = "1"
    job_id = api.http.post("/api/jobs", json={"items": [spec]}).json()["responses"][0]["id"]

    assert restart_while_running(server, api, job_id) == "Hello world\n"


def test_validate_names_the_file_and_the_field_without_a_server(
    tmp_path: Path, user: tuple[Cli, Api]
) -> None:
    cli, _ = user
    broken = tmp_path / "broken.yml"
    broken.write_text(hello("1", "Hi").replace("type: integer", "type: int"))

    good = cli("apps", "validate", str(EXAMPLES / "countdown.yml"))
    bad = cli("apps", "validate", str(broken))

    assert good.code == 0, good.err
    assert (
        good.out
        == f"{EXAMPLES}/countdown.yml: ok (application countdown@1.0, tool example-bash@1)\n"
    )
    assert bad.code == 1
    assert bad.err.startswith(
        f"{broken}: [1] parameters.seconds.type: unknown parameter type: 'int'"
    )
