"""Interactive sessions (decision 13): who may open one, and the tokens that stand for it.

A session token is an HMAC, under a key only this Orchid knows, of the session's kind, job, rank
and the job's owner. It needs no storage, survives a restart, and cannot be guessed or moved to
another job, rank or user. It works while the job runs: every use re-reads the job, so the
session ends when the job does.

Web sessions are served at `domain.sessions.web_base_path(job, rank)` on Orchid itself (the API's session proxy);
the replica learns that path and its port from its environment (see providers.base.WebRun).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchid.domain.states import JobState
from orchid.errors import BadRequest, Conflict, NotFound, NotSupported, OrchidError
from orchid.providers.base import Provider, ShellCommand, WebTarget
from orchid.schemas.sessions import JobsOpenInteractiveSessionRequestItem
from orchid.service.events import Subscription
from orchid.service.jobs import JobService
from orchid.store.records import JobRecord

log = logging.getLogger(__name__)

Kind = Literal["web", "shell"]


class SessionEnded(OrchidError):
    """A valid token of a job that no longer runs."""

    status_code = 410
    error_code = "SESSION_ENDED"


def load_key(path: Path) -> bytes:
    """The session key kept at `path` (created, mode 0600, on first use)."""
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


@dataclass(frozen=True)
class Opened:
    """One opened session: the API turns it into an OpenSessionWithProvider."""

    kind: Kind
    job_id: str
    rank: int
    provider_id: str
    token: str


@dataclass(frozen=True)
class ShellSession:
    job_id: str
    rank: int
    owner: str
    command: ShellCommand


# Web sessions whose check is remembered until their job changes (the oldest are forgotten first).
WEB_CACHE_SIZE = 1024


class Sessions:
    def __init__(self, jobs: JobService, key: bytes) -> None:
        self.jobs = jobs
        self._key = key
        # (job, rank, token) -> where it goes, valid while its subscription has seen no change:
        # a proxied request then costs no database read, and a job that stops running still
        # ends its sessions at once (its state change notifies before any later request).
        self._web: dict[tuple[str, int, str], tuple[Subscription, WebTarget]] = {}

    # ---- opening ----

    async def open(
        self, user: str, items: Sequence[JobsOpenInteractiveSessionRequestItem]
    ) -> list[Opened]:
        """Check every item (nothing is opened if one is refused), then open them all."""
        checked = [self._check(user, item) for item in items]
        return [
            Opened(kind, record.id, item.rank, record.product_provider, token)
            for item, (record, kind) in zip(items, checked, strict=True)
            for token in [self._opened_token(kind, record, item.rank)]
        ]

    def _opened_token(self, kind: Kind, record: JobRecord, rank: int) -> str:
        if kind == "shell":
            return self.shell_identifier(record.id, rank, record.owner)
        return self.token(kind, record.id, rank, record.owner)

    def _check(
        self, user: str, item: JobsOpenInteractiveSessionRequestItem
    ) -> tuple[JobRecord, Kind]:
        record = self.jobs.owned(user, item.id)
        provider = self._provider(record)
        kind: Kind
        if item.session_type == "VNC":
            raise NotSupported("vnc access is not supported by this provider")
        if item.session_type == "WEB":
            app = self.jobs.application_of(record)
            if app is None:
                raise BadRequest(
                    f"application {record.app_name}@{record.app_version} is no longer in the "
                    "catalog",
                    "UNKNOWN_APPLICATION",
                )
            if app.invocation.application_type != "WEB":
                raise BadRequest(
                    f"{record.app_name} is not a web application (its applicationType is "
                    f"{app.invocation.application_type}); open a SHELL session instead",
                    "NOT_A_WEB_APPLICATION",
                )
            if not provider.capabilities.web:
                raise NotSupported("web access is not supported by this provider")
            kind = "web"
        else:
            if not provider.capabilities.shell:
                raise NotSupported("terminal access is not supported by this provider")
            kind = "shell"
        if item.target is not None:
            raise BadRequest(f"unknown target supplied: {item.target!r}", "UNKNOWN_TARGET")
        if item.rank >= record.replicas:
            raise BadRequest(
                f"rank {item.rank} is out of range: job {record.id} has {record.replicas} "
                f"replica(s), ranks 0 to {record.replicas - 1}",
                "INVALID_RANK",
            )
        if record.state != JobState.RUNNING:
            raise Conflict(
                f"job {record.id} is {record.state.value}, not RUNNING: a session opens only "
                "while the job runs",
                "JOB_NOT_RUNNING",
            )
        return record, kind

    # ---- tokens ----

    def token(self, kind: Kind, job_id: str, rank: int, owner: str) -> str:
        message = "\0".join((kind, job_id, str(rank), owner)).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _running(self, kind: Kind, job_id: str, rank: int, token: str) -> JobRecord:
        """The running job a token opens; NotFound for a wrong token, SessionEnded once the job
        is no longer RUNNING."""
        unknown = NotFound("unknown session; open it again from the job", "UNKNOWN_SESSION")
        if len(job_id) > 64 or len(token) > 100:
            raise unknown
        record = self.jobs.job(job_id, with_updates=False)
        if (
            record is None
            or not 0 <= rank < record.replicas
            or not hmac.compare_digest(self.token(kind, job_id, rank, record.owner), token)
        ):
            raise unknown
        if record.state != JobState.RUNNING:
            raise SessionEnded(
                f"the session has ended: job {job_id} is {record.state.value}", "SESSION_ENDED"
            )
        return record

    # ---- web ----

    async def web_target(self, job_id: str, rank: int, token: str) -> WebTarget:
        """Where the web session `token` of rank `rank` of `job_id` goes. NotFound for a wrong
        token, SessionEnded once the job is no longer RUNNING."""
        key = (job_id, rank, token)
        cached = self._web.pop(key, None)
        if cached is not None:
            subscription, target = cached
            if not subscription.changed:
                self._web[key] = cached
                return target
            subscription.close()
        # Subscribed before the job is read, so a change between the two is not missed.
        subscription = self.jobs.subscribe(job_id)
        try:
            record = self._running("web", job_id, rank, token)
            target = await self._provider(record).web_target(record.id, rank)
        except BaseException:
            subscription.close()
            raise
        while len(self._web) >= WEB_CACHE_SIZE:
            oldest = next(iter(self._web))
            self._web.pop(oldest)[0].close()
        self._web[key] = (subscription, target)
        return target

    # ---- shell ----

    def shell_identifier(self, job_id: str, rank: int, owner: str) -> str:
        return f"{job_id}.{rank}.{self.token('shell', job_id, rank, owner)}"

    async def shell(self, identifier: str) -> ShellSession:
        """The shell a session identifier opens. NotFound for a wrong one, SessionEnded once the
        job is no longer RUNNING."""
        job_id, _, rest = identifier.partition(".")
        rank_text, _, token = rest.partition(".")
        if not rank_text.isdigit() or len(rank_text) > 7:
            raise NotFound("unknown session; open it again from the job", "UNKNOWN_SESSION")
        rank = int(rank_text)
        record = self._running("shell", job_id, rank, token)
        command = await self._provider(record).shell_command(record.id, rank)
        return ShellSession(record.id, rank, record.owner, command)

    # ---- the end of a job ----

    def still_running(self, job_id: str) -> bool:
        record = self.jobs.job(job_id, with_updates=False)
        return record is not None and record.state == JobState.RUNNING

    async def wait_until_ended(self, job_id: str) -> None:
        """Return once the job is no longer RUNNING."""
        subscription = self.jobs.subscribe(job_id)
        try:
            while self.still_running(job_id):
                await subscription.wait(30.0)
        finally:
            subscription.close()

    def _provider(self, record: JobRecord) -> Provider:
        provider = self.jobs.provider_of(record)
        if provider is None:
            raise NotSupported(f"provider {record.product_provider!r} is not configured")
        return provider
