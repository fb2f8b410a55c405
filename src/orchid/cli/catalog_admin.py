"""`orchid apps validate FILE...` and `orchid apps reload`: the operator's side of the catalog.

Neither talks HTTP. `validate` reads files on this machine; `reload` signals the server running on
this machine with the same data directory (its pid is in `orchid.pid`) and prints what it loaded.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from orchid.catalog import Loaded, Problem, status
from orchid.catalog.loader import (
    APP_SUFFIXES,
    ApplicationFiles,
    builtin_apps_dir,
    join,
    read_file,
)
from orchid.catalog.ucloud_yaml import FileContent
from orchid.settings import Settings


def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Application files, or directories of them."),
    ],
) -> None:
    """Check application and tool files (UCloud's YAML format) without a server.

    Prints FILE: FIELD: PROBLEM for every problem, and FILE: ok for every good file. Tools may be
    defined in the files given, in other files of their directories or be built in. Exits 1 if
    anything is wrong."""
    files = _expand(paths)
    checked = [read_file(path) for path in files]
    problems = [problem for content in checked for problem in content.problems]
    # What the files may refer to: the built-in tools and apps, and tools of neighbouring files.
    builtin = ApplicationFiles([builtin_apps_dir()]).load()
    given = {str(path) for path in files}
    neighbours: list[FileContent] = []
    for directory in sorted({path.parent for path in files}):
        for path in sorted(directory.iterdir()):
            if path.suffix in APP_SUFFIXES and str(path) not in given and path.is_file():
                content = read_file(path)
                if not content.problems:
                    neighbours.append(FileContent(content.file, tools=content.tools))
    good = [content for content in checked if not content.problems]
    joined = join([*_builtin(builtin), *good, *neighbours], [])
    problems.extend(p for p in joined.problems if p.file in given)
    for content in checked:
        mine = [p for p in problems if p.file == content.file]
        if not mine:
            typer.echo(f"{content.file}: ok ({_summary(content)})")
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        raise typer.Exit(1)


def _builtin(loaded: Loaded) -> list[FileContent]:
    # Built-in applications already carry their tools; each becomes a content of its own origin.
    contents: dict[str, FileContent] = {}
    for app in loaded.applications:
        origin = loaded.origins[(app.metadata.name, app.metadata.version)]
        content = contents.setdefault(origin, FileContent(origin))
        content.applications.append(app)
        tool = app.invocation.tool.tool
        if tool is not None and tool not in content.tools:
            content.tools.append(tool)
    return list(contents.values())


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix in APP_SUFFIXES and p.is_file())
            )
        else:
            files.append(path)
    return files


def _summary(content: FileContent) -> str:
    names = [f"application {a.metadata.name}@{a.metadata.version}" for a in content.applications]
    names += [f"tool {t.description.info.name}@{t.description.info.version}" for t in content.tools]
    return ", ".join(names)


def reload(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory of the running server (default: ORCHID_DATA_DIR or "
            "~/.local/share/orchid).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server.")] = 10.0,
) -> None:
    """Make the running server read its application files again (the same as SIGHUP).

    Running jobs are not touched. A file that became wrong is reported and its previous version
    stays in use. Exits 1 if any file has a problem."""
    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    directory = settings.data_dir
    pid = status.read_pid(directory)
    if pid is None:
        _fail(f"no running server uses {directory} (there is no {status.PID_FILE})")
    assert pid is not None
    before = (status.read_status(directory) or {}).get("generation")
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        _fail(f"the server (pid {pid} in {directory / status.PID_FILE}) is not running")
    except PermissionError:
        _fail(f"not allowed to signal the server (pid {pid}); run as the user that runs it")
    deadline = time.monotonic() + timeout
    while True:
        current = status.read_status(directory)
        if current is not None and current.get("generation") != before:
            break
        if time.monotonic() > deadline:
            _fail(f"the server (pid {pid}) did not reload within {timeout:g}s")
        time.sleep(0.05)
    applications = current.get("applications", [])
    problems = [Problem(**p) for p in current.get("problems", [])]
    typer.echo(f"reloaded: {len(applications)} applications")
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        raise typer.Exit(1)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)
