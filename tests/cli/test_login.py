"""`orchid login` stores the server and token (mode 0600); the environment overrides them."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from tests.cli.clitools import Cli, assert_one_line_error, cli_for
from tests.support import Server


@pytest.fixture(scope="module")
def account(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return cli_for(server, "newcomer", tmp_path_factory.mktemp("unused"))[0]


@pytest.fixture
def cli(account: Cli, tmp_path: Path) -> Cli:
    """The same user with an empty config directory for each test."""
    return Cli(account.url, account.token, tmp_path / "config")


def without_env(cli: Cli) -> dict[str, str]:
    return {k: v for k, v in cli.env.items() if k not in ("ORCHID_URL", "ORCHID_TOKEN")}


def test_login_stores_url_and_token_for_the_owner_only(cli: Cli) -> None:
    env = without_env(cli)
    result = cli("login", cli.url + "/", "--token", cli.token, env=env)
    assert result.code == 0, result.err
    path = cli.config_home / "orchid" / "config.toml"
    assert f"Logged in to {cli.url}" in result.out and str(path) in result.out
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tomllib.loads(path.read_text()) == {"url": cli.url, "token": cli.token}
    # Then commands work without any environment
    listed = cli("products", "list", "-o", "json", env=env)
    assert listed.code == 0, listed.err
    # ... and the environment still wins over the file
    overridden = cli("products", "list", env=env | {"ORCHID_TOKEN": "other"})
    assert_one_line_error(overridden, "refused the token")


def test_login_tightens_an_existing_file_and_reads_the_token_from_stdin(cli: Cli) -> None:
    path = cli.config_home / "orchid" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('url = "http://old"\n')
    path.chmod(0o644)
    result = cli("login", cli.url, "-o", "json", env=without_env(cli), input=cli.token + "\n")
    assert result.code == 0, result.err
    assert result.json() == {"url": cli.url, "configFile": str(path)}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tomllib.loads(path.read_text())["token"] == cli.token


def test_a_refused_login_stores_nothing(cli: Cli) -> None:
    result = cli("login", cli.url, "--token", "wrong", env=without_env(cli))
    assert_one_line_error(result, "refused the token")
    assert not (cli.config_home / "orchid" / "config.toml").exists()
    assert_one_line_error(cli("login", "nowhere", "--token", "t"), "URL must be an http(s) URL")
