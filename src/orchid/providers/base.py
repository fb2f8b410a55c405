"""The provider contract.

A provider runs jobs and reports *facts* about them ("every replica started", "rank 0 exited 3",
"unknown to the scheduler"). It never decides a job's state: the service turns facts into states.
Facts are delivered to the `FactSink` given at construction, from the event loop thread, in the
order they happened for any one job.

A provider owns an opaque JSON-serialisable *handle* per started job (pids, a Slurm job id). The
service persists it with the job, and hands it back to `recover` after a restart, so the provider can
re-attach to work that kept running while Orchid was down.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from orchid.domain.products import Capabilities as Capabilities
from orchid.domain.products import ProductShape as ProductShape
from orchid.domain.sandbox import Mount as Mount
from orchid.domain.sandbox import UnixIdentity as UnixIdentity
from orchid.domain.sessions import WebTarget as WebTarget
from orchid.errors import NotSupported

Handle = dict[str, Any]


@dataclass(frozen=True)
class JobRun:
    """Everything a provider needs to run one job. `argv`/`env` are already built and validated."""

    job_id: str
    argv: Sequence[str]
    env: Mapping[str, str]
    replicas: int
    product: ProductShape
    time_allocation_ms: int | None
    # Set when re-attaching after a restart: the handle the provider reported with Started.
    handle: Handle | None = None
    # Set when re-attaching a job the user asked to stop: if it never started, it must not start
    # now; the provider reports Exited({}) instead.
    cancelling: bool = False
    # The container image `argv` runs in (the application's tool is a container), or None to run
    # it natively. Only given to a provider whose capabilities say `containers`.
    image: str | None = None
    # Set for a WEB application: where its replicas serve their web interface (decision 13).
    web: WebRun | None = None
    # The host folder the job sees as /work (decision 12: a folder of its owner's Home drive). None:
    # the provider keeps one of its own for the job, next to (never inside) its bookkeeping files.
    workdir: Path | None = None
    # Further folders or files the job sees, below /work (decision 12). Only given to a provider
    # whose capabilities say `mounts`.
    mounts: tuple[Mount, ...] = ()
    # The account the job runs as (decision 10). None: the account that runs Orchid, which must not
    # be root for a job to start (the provider refuses, the job fails with the reason).
    identity: UnixIdentity | None = None


@dataclass(frozen=True)
class WebRun:
    """The web interface of a WEB application's replicas.

    `port` is the port the application declares (its `web` block); None lets the provider choose
    one per replica. Either way the replica finds it in `$ORCHID_WEB_PORT` (and `$UCLOUD_PORT`),
    and the path under which Orchid serves it in `$ORCHID_WEB_BASE_PATH` (`base_paths[rank]`).
    """

    port: int | None
    base_paths: tuple[str, ...]


@dataclass(frozen=True)
class ShellCommand:
    """How to start a shell inside one running replica: run `argv` under a terminal."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str | None = None


# ---- Facts ----


@dataclass(frozen=True)
class Queued:
    """The job waits for resources. `reason` is shown to the user (e.g. 'Resources')."""

    job_id: str
    reason: str


@dataclass(frozen=True)
class Started:
    """Every replica has started. `handle` is persisted by the service."""

    job_id: str
    handle: Handle
    provider_job_id: str | None = None


@dataclass(frozen=True)
class Exited:
    """Every replica has ended. `exit_codes` maps rank -> exit code (128+N for signal N).

    `cancelled` is True when the scheduler reports the job cancelled by someone else (an
    administrator's scancel). `reason` is what the scheduler says beyond the exit codes, if
    anything (e.g. "out of memory").
    """

    job_id: str
    exit_codes: Mapping[int, int]
    cancelled: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Failed:
    """A fault of Orchid or the provider: the job could not start, was lost, or its node died."""

    job_id: str
    reason: str


@dataclass(frozen=True)
class TimedOut:
    """The provider's own time limit ended the job (Slurm TIMEOUT; a backstop)."""

    job_id: str


@dataclass(frozen=True)
class Unreachable:
    """The provider cannot reach its scheduler. The job keeps its state; reported once per outage
    for every job the provider tracks."""

    job_id: str
    reason: str


@dataclass(frozen=True)
class Reachable:
    """The scheduler answers again, after an Unreachable for this job."""

    job_id: str


Fact = Queued | Started | Exited | Failed | TimedOut | Unreachable | Reachable


class FactSink(Protocol):
    def __call__(self, fact: Fact) -> None: ...


@dataclass(frozen=True)
class LogFile:
    rank: int
    stream: Literal["stdout", "stderr"]
    path: Path


class Provider(ABC):
    """A place where jobs run. Every method is called on the event loop thread."""

    id: str
    capabilities: Capabilities

    @abstractmethod
    async def start(self) -> None:
        """Begin observing (reapers, pollers). Called once before any other call."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop observing. Running jobs keep running; nothing is killed."""

    @abstractmethod
    def fits(self, product: ProductShape, replicas: int) -> bool:
        """Whether a job of this shape could ever run here (used to refuse it at create)."""

    @abstractmethod
    async def submit(self, run: JobRun) -> None:
        """Accept a new job. It starts now or waits its turn; either way facts follow.

        Raises ProviderError if the provider cannot accept it at all.
        """

    @abstractmethod
    async def recover(self, runs: Sequence[JobRun]) -> None:
        """Re-attach to active jobs after a restart, in creation order.

        Jobs with a handle are re-attached (and get an Exited/Failed fact if they ended meanwhile);
        jobs without one were never started and are submitted again, unless the provider finds they
        did start (it must never run a job twice).
        """

    @abstractmethod
    async def terminate(self, job_id: str) -> None:
        """Ask the job to stop (graceful, then forced). The outcome arrives as an Exited fact.

        Terminating a job that is only queued removes it from the queue and reports Exited({}).
        """

    @abstractmethod
    async def extend(self, job_id: str, new_time_allocation_ms: int) -> None:
        """Raise the job's time limit to a new total. Raises NotSupported or ProviderError."""

    @abstractmethod
    def log_files(self, job_id: str, replicas: int) -> list[LogFile]:
        """Where the stdout and stderr of every rank are (the files may not exist yet)."""

    async def check_image(self, image: str) -> None:
        """Refuse, before the job is stored, a container image this provider cannot run.

        Raises NotSupported when the provider runs no containers (the default), BadRequest
        (errorCode UNKNOWN_IMAGE) when the image is not available to it."""
        raise NotSupported(f"provider {self.id!r} cannot run container applications")

    async def web_target(self, job_id: str, rank: int) -> WebTarget:
        """Where rank `rank` of a running WEB job serves its interface. Raises NotSupported when
        the provider serves none (capabilities.web is False), ProviderError when it cannot tell."""
        raise NotSupported("web access is not supported by this provider")

    async def shell_command(self, job_id: str, rank: int) -> ShellCommand:
        """The command that opens a shell inside rank `rank` of a running job, as the job's user
        with its working directory. Raises NotSupported when capabilities.shell is False,
        ProviderError when the replica cannot be entered."""
        raise NotSupported("terminal access is not supported by this provider")
