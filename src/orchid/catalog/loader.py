"""Reading the catalog from files.

Applications and tools are YAML files in UCloud's format (see `ucloud_yaml`), in directories: the
built-in ones ship inside the package (`defaults/apps/`), the operator's are named in the
configuration file. Products are a JSON list (`defaults/products.json`, or the configuration file's
`[[providers.<id>.products]]`).

`ApplicationFiles.load()` can be called again at any time (reload): a file that became unreadable
or wrong is reported and its previous good version stays in use; a new file that is wrong is
reported and left out. Nothing here raises for a bad application file: problems are returned, so a
server keeps serving whatever is good.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from orchid.catalog.catalog import Catalog, ProductKey, product_key
from orchid.catalog.problems import CatalogFileError, Problem
from orchid.catalog.ucloud_yaml import FileContent, Key, parse_file, tool_key, with_tool
from orchid.schemas.apps import Application, Tool
from orchid.schemas.products import ComputeProduct

PRODUCTS_FILE = "products.json"
APPS_DIRECTORY = "apps"
APP_SUFFIXES = (".yml", ".yaml", ".json")

_PRODUCTS: TypeAdapter[list[ComputeProduct]] = TypeAdapter(list[ComputeProduct])


def defaults_dir() -> Path:
    """The catalog shipped inside the package."""
    return Path(str(files("orchid.catalog") / "defaults"))


def builtin_apps_dir() -> Path:
    return defaults_dir() / APPS_DIRECTORY


def load_default_catalog() -> Catalog:
    """The built-in applications and products. Raises CatalogFileError if a built-in file is
    wrong (a bug in Orchid, which the tests catch)."""
    loaded = ApplicationFiles([builtin_apps_dir()]).load()
    if loaded.problems:
        raise CatalogFileError(loaded.problems)
    return Catalog(loaded.applications, builtin_products())


def builtin_products() -> list[ComputeProduct]:
    return load_products(defaults_dir() / PRODUCTS_FILE)


def load_products(path: Path) -> list[ComputeProduct]:
    """A JSON list of compute products. Raises ValueError naming the file and the problem."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not readable as JSON: {error}") from None
    try:
        products = _PRODUCTS.validate_python(raw)
    except ValidationError as error:
        raise ValueError(f"{path}: not a valid list of compute products: {error}") from None
    seen: set[ProductKey] = set()
    for index, product in enumerate(products):
        where = f"{path}: product [{index}] ({product.id})"
        if product.id != product.name:
            raise ValueError(f"{where}: id and name must be equal")
        key = product_key(product.reference)
        if key in seen:
            raise ValueError(f"{where}: defined twice in provider {key[0]}")
        seen.add(key)
    return products


@dataclass(frozen=True)
class Loaded:
    """The result of one load: what is usable, where each application came from, what is wrong."""

    applications: list[Application]
    origins: dict[Key, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class ApplicationFiles:
    """The application and tool files found in `directories` (searched recursively, in order;
    files ending in .yml, .yaml or .json; names starting with a dot are skipped).

    The first definition of a name and version wins; a later one is reported as a problem.
    """

    def __init__(self, directories: Sequence[Path]) -> None:
        self.directories = list(directories)
        self._good: dict[Path, FileContent] = {}

    def load(self) -> Loaded:
        problems: list[Problem] = []
        contents: list[FileContent] = []
        present: set[Path] = set()
        for path in self._files(problems):
            present.add(path)
            content = read_file(path)
            if not content.problems:
                self._good[path] = content
                contents.append(content)
                continue
            problems.extend(content.problems)
            previous = self._good.get(path)
            if previous is not None:
                problems.append(
                    Problem(str(path), "", "not reloaded: its previous version stays in use")
                )
                contents.append(previous)
        for gone in set(self._good) - present:
            del self._good[gone]
        return join(contents, problems)

    def _files(self, problems: list[Problem]) -> list[Path]:
        found: list[Path] = []
        for directory in self.directories:
            if not directory.is_dir():
                problems.append(Problem(str(directory), "", "the directory does not exist"))
                continue
            found.extend(
                sorted(
                    path
                    for path in directory.rglob("*")
                    if path.suffix in APP_SUFFIXES
                    and path.is_file()
                    and not any(part.startswith(".") for part in path.relative_to(directory).parts)
                )
            )
        return found


def read_file(path: Path) -> FileContent:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return FileContent(str(path), problems=[Problem(str(path), "", f"cannot read: {reason}")])
    return parse_file(str(path), text)


def join(contents: Sequence[FileContent], problems: list[Problem]) -> Loaded:
    """Applications from `contents` with their tools filled in, checked for duplicates."""
    tools: dict[Key, Tool] = {}
    tool_files: dict[Key, str] = {}
    for content in contents:
        for tool in content.tools:
            key = tool_key(tool)
            if key in tools:
                problems.append(_twice(content.file, "tool", key, tool_files[key]))
                continue
            tools[key] = tool
            tool_files[key] = content.file

    applications: list[Application] = []
    origins: dict[Key, str] = {}
    for content in contents:
        for app in content.applications:
            key = (app.metadata.name, app.metadata.version)
            if key in origins:
                problems.append(_twice(content.file, "application", key, origins[key]))
                continue
            joined = with_tool(app, tools)
            if joined is None:
                ref = app.invocation.tool
                problems.append(
                    Problem(
                        content.file,
                        "tool",
                        f"{key[0]}@{key[1]} needs tool {ref.name}@{ref.version}, which no "
                        "catalog file defines (a `tool: v1` document)",
                    )
                )
                continue
            origins[key] = content.file
            applications.append(joined)
    return Loaded(applications, origins, problems)


def _twice(file: str, what: str, key: Key, first: str) -> Problem:
    return Problem(
        file, "", f"{what} {key[0]}@{key[1]} is already defined in {first}; this one is ignored"
    )
