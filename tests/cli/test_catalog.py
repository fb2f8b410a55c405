"""`orchid apps list|show` and `orchid products list`."""

from __future__ import annotations

import pytest

from tests.cli.clitools import Result, cli_for, run_together
from tests.support import Server

COMMANDS = [
    ("apps", "list"),
    ("apps", "list", "-o", "json"),
    ("apps", "show", "sleep"),
    ("apps", "show", "shell-script@1.0.0", "--output", "json"),
    ("products", "list"),
    ("products", "list", "-o", "json"),
    ("products", "list", "--provider", "elsewhere", "-o", "json"),
]


@pytest.fixture(scope="module")
def results(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, ...], Result]:
    cli, _ = cli_for(server, "browser", tmp_path_factory.mktemp("config"))
    done = run_together(cli, COMMANDS)
    for args, result in done.items():
        assert result.code == 0, (args, result.err)
    return done


def test_apps_list_names_every_app_and_marks_required_parameters(
    results: dict[tuple[str, ...], Result],
) -> None:
    rows = {line.split()[0]: line for line in results[COMMANDS[0]].out.splitlines()[1:]}
    assert set(rows) == {"acme-web-application", "jupyterlab", "shell-script", "sleep"}
    assert "script*" in rows["shell-script"] and "port, greeting" in rows["acme-web-application"]
    apps = results[COMMANDS[1]].json()
    assert [a["metadata"]["name"] for a in apps] == [
        "acme-web-application",
        "jupyterlab",
        "shell-script",
        "sleep",
    ]


def test_apps_show_lists_parameters_and_an_example(results: dict[tuple[str, ...], Result]) -> None:
    out = results[COMMANDS[2]].out
    assert "sleep 1.0.0" in out and "seconds" in out and "integer" in out
    assert "orchid run sleep@1.0.0 --param seconds=... --follow" in out
    app = results[COMMANDS[3]].json()
    assert app["invocation"]["parameters"][0]["name"] == "script"


def test_products_list_shows_the_machine_types(results: dict[tuple[str, ...], Result]) -> None:
    lines = results[COMMANDS[4]].out.splitlines()
    assert lines[0].split()[:3] == ["ID", "CATEGORY", "PROVIDER"]
    assert lines[1].split()[:5] == ["example-compute", "example-compute", "example", "1", "1"]
    assert lines[2].split()[:5] == ["example-compute-large", "example-compute", "example", "2", "4"]
    products = results[COMMANDS[5]].json()
    assert [(p["id"], p["cpu"]) for p in products] == [
        ("example-compute", 1),
        ("example-compute-large", 2),
    ]
    assert results[COMMANDS[6]].json() == []
