"""How commands print: rich for people (tables, coloured states), plain JSON for scripts.

Program output goes to stdout; errors, progress and follow's state lines go to stderr, so a script
can pipe stdout (a job's own output, or JSON) without noise.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.text import Text

from orchid.domain.states import JobState


class OutputFormat(StrEnum):
    HUMAN = "human"
    JSON = "json"


Output = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        case_sensitive=False,
        help="human: tables and colours; json: machine-readable (the API's wire JSON).",
    ),
]

STATE_STYLES: dict[JobState, str] = {
    JobState.IN_QUEUE: "yellow",
    JobState.RUNNING: "bold cyan",
    JobState.CANCELING: "magenta",
    JobState.SUCCESS: "bold green",
    JobState.FAILURE: "bold red",
    JobState.EXPIRED: "bold dark_orange",
}


@functools.cache
def stdout() -> Console:
    return Console(highlight=False)


@functools.cache
def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def colour_enabled(console: Console) -> bool:
    return console.is_terminal and not console.no_color and console.color_system is not None


def error(message: str) -> None:
    """One line on stderr, never markup-interpreted (messages quote user input)."""
    stderr().print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def info(message: str | Text) -> None:
    stderr().print(message, soft_wrap=True)


def state_text(state: JobState | None) -> Text:
    if state is None:
        return Text("?")
    return Text(state.value, style=STATE_STYLES[state])


def wire(value: BaseModel | Iterable[BaseModel]) -> object:
    """The wire JSON (camelCase) of a model or of several."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return [item.model_dump(mode="json") for item in value]


def print_json(data: object, *, compact: bool = False) -> None:
    text = json.dumps(data, separators=(",", ":")) if compact else json.dumps(data, indent=2)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
