"""Remote paths as people type them: `~/...` (the Home drive) or `/<drive>/...`, where <drive> is
a drive id or a drive's title. The API only knows `/<drive id>/...`; this module translates both
ways, asking the server for the user's drives once per command."""

from __future__ import annotations

import functools

from orchid.cli.errors import CliError
from orchid.client import Client
from orchid.schemas.files import FileCollection


class RemotePaths:
    def __init__(self, client: Client) -> None:
        self.client = client

    @functools.cached_property
    def drives(self) -> list[FileCollection]:
        return self.client.files.drives()

    @functools.cached_property
    def home(self) -> str:
        for drive in self.drives:
            if drive.status.preferred_drive:
                return drive.id
        raise CliError("the server listed no Home drive")

    def resolve(self, text: str) -> str:
        """The API path of a remote path. `/` alone (the list of drives) is returned as is."""
        if text == "~" or text.startswith("~/"):
            rest = text[1:].strip("/")
            return f"/{self.home}" + (f"/{rest}" if rest else "")
        if not text.startswith("/"):
            raise CliError(
                f"remote paths start with ~/ (your Home drive) or /<drive>/, not {text!r}"
            )
        if text.strip("/") == "":
            return "/"
        first, _, rest = text.strip("/").partition("/")
        drive_id = self._drive_id(first)
        return f"/{drive_id}" + (f"/{rest}" if rest else "")

    def _drive_id(self, name: str) -> str:
        if any(d.id == name for d in self.drives):
            return name
        titled = [d for d in self.drives if d.specification.title == name]
        if len(titled) > 1:
            ids = ", ".join(d.id for d in titled)
            raise CliError(f"several drives are titled {name!r} ({ids}): use the drive id")
        # An unknown name goes to the server as it is, which answers 404 like for any drive
        # that is not the user's.
        return titled[0].id if titled else name

    def display(self, path: str) -> str:
        """An API path as the user would type it (`~/...` inside the Home drive)."""
        prefix = f"/{self.home}"
        if path == prefix:
            return "~"
        if path.startswith(prefix + "/"):
            return "~" + path[len(prefix) :]
        return path


def join(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name


def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]
