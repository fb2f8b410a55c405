"""What the running server last loaded, kept in its data directory for `orchid apps reload`.

The server writes `catalog-status.json` after every load and its pid to `orchid.pid` while it
runs; `orchid apps reload` sends the pid SIGHUP and waits for a new status, so an operator on the
machine can reload and see the problems without any HTTP endpoint or administrator account.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from orchid.catalog.loader import Loaded

STATUS_FILE = "catalog-status.json"
PID_FILE = "orchid.pid"


def write_status(data_dir: Path, loaded: Loaded) -> None:
    status = {
        "generation": time.time_ns(),
        "applications": [
            {"name": name, "version": version, "file": file}
            for (name, version), file in loaded.origins.items()
        ],
        "problems": [
            {"file": p.file, "field": p.field, "message": p.message} for p in loaded.problems
        ],
    }
    _replace(data_dir / STATUS_FILE, json.dumps(status, indent=1))


def read_status(data_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((data_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_pid(data_dir: Path) -> None:
    _replace(data_dir / PID_FILE, f"{os.getpid()}\n")


def remove_pid(data_dir: Path) -> None:
    path = data_dir / PID_FILE
    try:
        if path.read_text().strip() == str(os.getpid()):
            path.unlink()
    except (OSError, ValueError):
        pass


def read_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
