"""The local provider's handle: which processes a job is, kept in the database and in handle.json.

handle.json is rewritten after every replica is spawned, before anything is reported, so a crash at
any point after the first spawn leaves a record on disk and a restarted Orchid adopts the processes
instead of starting the job a second time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchid.providers.base import Handle
from orchid.providers.local.process import Identity

HANDLE_FILE = "handle.json"


@dataclass(frozen=True)
class LocalHandle:
    dir: Path
    replicas: tuple[Identity, ...]
    boot_id: str | None

    def to_json(self) -> Handle:
        return {
            "pids": [r.pid for r in self.replicas],
            "starttimes": [r.starttime for r in self.replicas],
            "dir": str(self.dir),
            "boot_id": self.boot_id,
        }

    @classmethod
    def from_json(cls, data: Handle) -> LocalHandle:
        """Raises ValueError if `data` is not a handle this provider wrote."""
        pids = _int_list(data.get("pids"))
        starttimes = _int_list(data.get("starttimes"))
        directory = data.get("dir")
        boot = data.get("boot_id")
        if len(pids) != len(starttimes) or not isinstance(directory, str):
            raise ValueError("malformed local handle")
        if boot is not None and not isinstance(boot, str):
            raise ValueError("malformed local handle")
        identities = tuple(Identity(p, s) for p, s in zip(pids, starttimes, strict=True))
        return cls(Path(directory), identities, boot)

    def write(self) -> None:
        path = self.dir / HANDLE_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json()))
        os.replace(tmp, path)


def read_handle_file(job_dir: Path) -> Handle | None:
    """The handle left on disk, or None if there is none.

    Raises ValueError if there is one that cannot be read: the job may have started, so the caller
    must not start it again.
    """
    path = job_dir / HANDLE_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from e
    data = json.loads(text)  # JSONDecodeError is a ValueError
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a handle")
    return data


def _int_list(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ValueError("malformed local handle")
    return list(value)
