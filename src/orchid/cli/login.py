"""`orchid login URL --token T`: check the token against the server, then remember both."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from orchid.cli import output
from orchid.cli.common import guarded
from orchid.cli.config import ClientSettings, check_url, save
from orchid.cli.errors import CliError
from orchid.client import Client


@guarded
def login(
    url: Annotated[str, typer.Argument(help="The server, e.g. http://127.0.0.1:8080.")],
    token: Annotated[
        str | None,
        typer.Option(
            help="Bearer token (from `orchid serve` or `orchid users create`); "
            "asked for, or read from stdin, if absent."
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option("--verify/--no-verify", help="Check URL and token with the server first."),
    ] = True,
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """Remember a server and a token in the config file (mode 0600).

    ORCHID_URL and ORCHID_TOKEN, when set, override what is stored.
    """
    url = check_url(url, "URL")
    if token is None:
        # Asked for on a terminal; read from a pipe (`pass show orchid | orchid login URL`).
        if sys.stdin.isatty():
            token = typer.prompt("Token", hide_input=True, err=True)
        else:
            token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise CliError("no token given: pass --token TOKEN or type it when asked")
    if verify:
        with Client(url, token) as client:
            client.browse(items_per_page=1)
    path = save(ClientSettings(url, token))
    if fmt is output.OutputFormat.JSON:
        output.print_json({"url": url, "configFile": str(path)})
    else:
        output.stdout().print(f"Logged in to {url} (saved in {path})", soft_wrap=True, markup=False)
