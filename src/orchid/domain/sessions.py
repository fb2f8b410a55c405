"""Where Orchid serves the web interface of a WEB job's replica (decision 13)."""

from __future__ import annotations

from dataclasses import dataclass

WEB_PREFIX = "/sessions"


def web_base_path(job_id: str, rank: int) -> str:
    """The path under which Orchid serves rank `rank` of a WEB job (ends with a slash)."""
    return f"{WEB_PREFIX}/{job_id}/{rank}/"


@dataclass(frozen=True)
class WebTarget:
    """Where one replica's web interface answers."""

    host: str
    port: int
