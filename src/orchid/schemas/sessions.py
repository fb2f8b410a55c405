"""jobs.openInteractiveSession: the request items and the OpenSession variants (spec/sessions-api.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from orchid.schemas.base import Wire

SessionType = Literal["WEB", "VNC", "SHELL"]


class JobsOpenInteractiveSessionRequestItem(Wire):
    id: str = Field(min_length=1, max_length=64)
    rank: int = Field(ge=0, le=1_000_000)
    session_type: SessionType
    # core2's dynamic interfaces; Orchid publishes none, so only the default (absent) is served.
    target: str | None = None


class OpenSessionWeb(Wire):
    type: Literal["web"] = "web"
    job_id: str
    rank: int
    redirect_client_to: str
    domain_override: str | None = None


class OpenSessionShell(Wire):
    type: Literal["shell"] = "shell"
    job_id: str
    rank: int
    session_identifier: str
    domain_override: str | None = None


OpenSession = Annotated[OpenSessionWeb | OpenSessionShell, Field(discriminator="type")]


class OpenSessionWithProvider(Wire):
    provider_domain: str
    provider_id: str
    session: OpenSession


# ---- the shell WebSocket (spec §6) ----


class ShellInitialize(Wire):
    type: Literal["initialize"]
    session_identifier: str = Field(max_length=200)
    cols: int = Field(80, ge=1, le=1000)
    rows: int = Field(24, ge=1, le=1000)
    # Orchid's extension: false runs the shell on plain pipes instead of a terminal (no echo, no
    # prompt), for scripts; the client then ends its input with an `eof` request.
    tty: bool = True


class ShellInput(Wire):
    type: Literal["input"]
    data: str = Field(max_length=1_000_000)


class ShellResize(Wire):
    type: Literal["resize"]
    cols: int = Field(ge=1, le=1000)
    rows: int = Field(ge=1, le=1000)


class ShellEof(Wire):
    """Orchid's extension: the end of the input (a shell without a terminal reads end of file)."""

    type: Literal["eof"]


ShellRequest = Annotated[
    ShellInitialize | ShellInput | ShellResize | ShellEof, Field(discriminator="type")
]
