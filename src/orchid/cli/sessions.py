"""`orchid jobs open` (a running job's web interface) and `orchid jobs shell` (a terminal in it)."""

from __future__ import annotations

import os
import sys
import webbrowser
from typing import Annotated

import typer

from orchid.cli import output
from orchid.cli.common import guarded, open_client

Rank = Annotated[int, typer.Option("--rank", "-r", min=0, help="The replica (0 is the first).")]


def _can_show_a_browser() -> bool:
    """Whether `webbrowser` would open a graphical browser rather than take over the terminal."""
    if not sys.stdout.isatty():
        return False
    if sys.platform == "darwin" or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@guarded
def open_interface(
    job_id: Annotated[str, typer.Argument(metavar="ID", help="A running job of a WEB app.")],
    rank: Rank = 0,
    browser: Annotated[
        bool | None,
        typer.Option(
            "--browser/--no-browser",
            help="Open the URL in a browser (default: when there is a graphical one).",
        ),
    ] = None,
    fmt: output.Output = output.OutputFormat.HUMAN,
) -> None:
    """Print the URL of a running job's web interface, and open it in a browser.

    The URL carries a session token: whoever has it reaches the interface until the job ends."""
    with open_client() as client:
        opened = client.open_session(job_id, rank, "WEB")
    session = opened.session
    url = getattr(session, "redirect_client_to", "")
    if fmt is output.OutputFormat.JSON:
        output.print_json(output.wire(opened))
    else:
        print(url, flush=True)
    if browser or (browser is None and _can_show_a_browser()):
        webbrowser.open(url, new=2)
