"""`orchid jobs open` (a running job's web interface) and `orchid jobs shell` (a terminal in it)."""

from __future__ import annotations

import codecs
import contextlib
import os
import shutil
import signal
import sys
import termios
import threading
import tty
import webbrowser
from typing import Annotated, BinaryIO

import typer
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from orchid.cli import output
from orchid.cli.common import guarded, open_client
from orchid.cli.errors import CliError
from orchid.client.shell import (
    eof_frame,
    initialize_frame,
    input_frame,
    read_frame,
    resize_frame,
    shell_socket_url,
)

# Input goes out in frames well under the server's bound on WebSocket frames (64 KiB).
INPUT_CHUNK = 16 * 1024

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


@guarded
def shell(
    job_id: Annotated[str, typer.Argument(metavar="ID", help="A running job.")],
    rank: Rank = 0,
) -> None:
    """A shell inside a running job, in its working folder, as the job's user.

    On a terminal it is interactive (Ctrl-D or `exit` leaves). With a pipe on stdin it runs those
    lines and exits with the shell's exit code: echo 'ls /work' | orchid jobs shell 7
    """
    with open_client() as client:
        opened = client.open_session(job_id, rank, "SHELL")
        url = shell_socket_url(client.url, opened.provider_id)
    identifier = getattr(opened.session, "session_identifier", "")
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    try:
        with connect(url, open_timeout=30, max_size=None) as ws:
            code = _interactive(ws, identifier) if interactive else _script(ws, identifier)
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
        raise CliError(f"cannot open the shell at {url}: {error}") from None
    raise typer.Exit(code)


def _initialized(ws: ClientConnection) -> None:
    while True:
        event = read_frame(ws.recv(timeout=30))
        if event.initialized:
            return
        if event.status is not None:
            raise CliError(f"the shell was refused: {event.why}")


def _receive(ws: ClientConnection, out: BinaryIO) -> int:
    """Write the output until the shell ends; its exit code (1 if the session ended otherwise)."""
    try:
        for text in ws:
            event = read_frame(text)
            if event.data is not None:
                out.write(event.data.encode("utf-8", errors="replace"))
                out.flush()
            elif event.exit_code is not None:
                return event.exit_code
            elif event.status is not None:
                sys.stderr.write(f"\r\norchid: {event.why}\r\n")
                return 1
    except ConnectionClosed:
        pass
    sys.stderr.write("\r\norchid: the shell session closed\r\n")
    return 1


def _send_input(ws: ClientConnection, fd: int) -> None:
    """Send what `fd` gives until its end (characters split between reads are kept whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := os.read(fd, INPUT_CHUNK):
        if text := decoder.decode(chunk):
            ws.send(input_frame(text))
    if tail := decoder.decode(b"", final=True):
        ws.send(input_frame(tail))


def _script(ws: ClientConnection, identifier: str) -> int:
    ws.send(initialize_frame(identifier, cols=80, rows=24, tty=False))
    _initialized(ws)

    def feed() -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            _send_input(ws, sys.stdin.fileno())
            ws.send(eof_frame())

    threading.Thread(target=feed, daemon=True).start()
    return _receive(ws, sys.stdout.buffer)


def _terminal_size() -> os.terminal_size:
    """The terminal's own size (COLUMNS/LINES describe what to print, not the terminal)."""
    try:
        return os.get_terminal_size(sys.stdout.fileno())
    except OSError:
        return shutil.get_terminal_size()


def _interactive(ws: ClientConnection, identifier: str) -> int:
    size = _terminal_size()
    ws.send(initialize_frame(identifier, cols=size.columns, rows=size.lines))
    _initialized(ws)
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)

    def on_resize(signum: int, frame: object) -> None:
        now = _terminal_size()
        with contextlib.suppress(ConnectionClosed):
            ws.send(resize_frame(now.columns, now.lines))

    def feed() -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            _send_input(ws, fd)

    previous = signal.signal(signal.SIGWINCH, on_resize)
    tty.setraw(fd)
    try:
        threading.Thread(target=feed, daemon=True).start()
        return _receive(ws, sys.stdout.buffer)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        signal.signal(signal.SIGWINCH, previous)
