"""What every client command shares: one-line errors for expected problems, and the client
from config."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer

from orchid.cli import output
from orchid.cli.config import resolve
from orchid.cli.errors import CliError, ExitCode
from orchid.client import (
    ApiError,
    AuthenticationError,
    Client,
    OrchidClientError,
    StreamBroken,
    Unreachable,
)

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    output.error(message)
    raise typer.Exit(int(code))


def describe(exc: OrchidClientError) -> str:
    """The one line a person should read for an SDK error."""
    if isinstance(exc, AuthenticationError):
        return (
            f"the server refused the token ({exc.why}): run `orchid login URL --token TOKEN` "
            "or set ORCHID_TOKEN"
        )
    if isinstance(exc, StreamBroken):
        return f"{exc}; follow it again with `orchid jobs follow {exc.job_id}`"
    if isinstance(exc, ApiError):
        return f"{exc.why} ({exc.error_code})" if exc.error_code else exc.why
    return str(exc)


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so expected problems end it with a one-line error and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CliError as exc:
            fail(str(exc), exc.code)
        except Unreachable as exc:
            fail(str(exc))
        except OrchidClientError as exc:
            fail(describe(exc))
        except KeyboardInterrupt:
            fail("interrupted", ExitCode.INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (`orchid ... | head`): stop quietly, as a SIGPIPE would.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(ExitCode.BROKEN_PIPE) from None

    return wrapper


def open_client() -> Client:
    """A client for the configured server and token (ORCHID_URL/ORCHID_TOKEN, else the config
    file). Raises CliError when neither says where to go."""
    settings = resolve()
    return Client(settings.url, settings.token)
