"""A scripted fake provider: no processes, no scheduler, every fact emitted when the test says so.

Two ways to drive it, freely mixed:

* Scripts. `fake.script(start(after=2), exit_with(3))` makes the next submitted job start on the
  third tick and exit with code 3 on the fourth; `refuse("...")` makes `submit` raise, `hang()`
  does nothing. Each `tick()` runs at most one step of every job; `run_until_idle()` ticks (and
  lets the event loop run) until no job has anything left to do.
* Direct calls: `fake.start_job(id)`, `fake.exit_job(id, {0: 3})`, `fake.fail_job(id, reason)`,
  `fake.queue_job(id, reason)`, `fake.time_out(id)` emit one fact at once.

Every call the service makes is recorded (`submitted`, `recovered`, `terminated`, `extended`), and
`wait_for_call` lets a test wait for one made from a background task.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orchid.errors import ProviderError
from orchid.providers.base import (
    Capabilities,
    Exited,
    Fact,
    FactSink,
    Failed,
    Handle,
    JobRun,
    LogFile,
    ProductShape,
    Provider,
    Queued,
    Started,
    TimedOut,
)

# ---- script steps ----


@dataclass(frozen=True)
class Wait:
    """Do nothing for one tick."""


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class Exit:
    codes: Mapping[int, int]


@dataclass(frozen=True)
class Fail:
    reason: str


@dataclass(frozen=True)
class Queue:
    reason: str


@dataclass(frozen=True)
class Refuse:
    """Only meaningful first: `submit` raises ProviderError with this reason."""

    reason: str
    transient: bool = False


Step = Wait | Start | Exit | Fail | Queue | Refuse


def start(after: int = 0) -> list[Step]:
    return [*([Wait()] * after), Start()]


def exit_with(code: int, *, after: int = 0) -> list[Step]:
    return [*([Wait()] * after), Exit({0: code})]


def fail(reason: str) -> list[Step]:
    return [Fail(reason)]


def queue(reason: str = "Resources") -> list[Step]:
    return [Queue(reason)]


def refuse(reason: str = "no room at the inn", *, transient: bool = False) -> list[Step]:
    return [Refuse(reason, transient)]


def hang() -> list[Step]:
    return []


# ---- the provider ----

OnTerminate = Literal["exit", "ignore"]


@dataclass
class FakeJob:
    run: JobRun
    steps: list[Step] = field(default_factory=list)
    started: bool = False
    ended: bool = False
    handle: Handle | None = None


class FakeProvider(Provider):
    """A Provider whose jobs exist only in memory and do exactly what the test scripts."""

    def __init__(
        self,
        provider_id: str = "example",
        sink: FactSink | None = None,
        *,
        log_dir: Path | None = None,
        capabilities: Capabilities | None = None,
        fits: bool | Callable[[ProductShape, int], bool] = True,
        on_terminate: OnTerminate = "exit",
    ) -> None:
        self.id = provider_id
        self.capabilities = capabilities or Capabilities()
        self.sink = sink
        self.log_dir = log_dir
        self.fits_rule = fits
        # "exit": a terminated job reports Exited on the next tick; "ignore": it never stops.
        self.on_terminate: OnTerminate = on_terminate
        # When set, `extend` / `terminate` raise it (after recording the call).
        self.extend_error: ProviderError | None = None
        self.terminate_error: ProviderError | None = None

        self.jobs: dict[str, FakeJob] = {}
        self.started = False
        self.stopped = False
        self.submitted: list[JobRun] = []
        self.recovered: list[list[JobRun]] = []
        self.terminated: list[str] = []
        self.extended: list[tuple[str, int]] = []
        self.facts: list[Fact] = []

        self._scripts: list[list[Step]] = []
        self._default: list[Step] = []
        self._activity: asyncio.Event | None = None

    # ---- scripting ----

    def script(self, *parts: Sequence[Step]) -> None:
        """The script of the next submitted job (scripts are used in submission order)."""
        self._scripts.append([step for part in parts for step in part])

    def default_script(self, *parts: Sequence[Step]) -> None:
        """The script of every submitted job that has no script of its own (initially: hang)."""
        self._default = [step for part in parts for step in part]

    def connect(self, sink: FactSink) -> None:
        self.sink = sink

    # ---- Provider ----

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def fits(self, product: ProductShape, replicas: int) -> bool:
        if callable(self.fits_rule):
            return self.fits_rule(product, replicas)
        return self.fits_rule

    async def submit(self, run: JobRun) -> None:
        steps = list(self._scripts.pop(0) if self._scripts else self._default)
        self.submitted.append(run)
        self._touch()
        if steps and isinstance(steps[0], Refuse):
            raise ProviderError(steps[0].reason, transient=steps[0].transient)
        self.jobs[run.job_id] = FakeJob(run, steps)

    async def recover(self, runs: Sequence[JobRun]) -> None:
        self.recovered.append(list(runs))
        self._touch()
        for run in runs:
            job = self.jobs.setdefault(run.job_id, FakeJob(run))
            job.handle = run.handle
            job.started = run.handle is not None

    async def terminate(self, job_id: str) -> None:
        self.terminated.append(job_id)
        self._touch()
        if self.terminate_error is not None:
            raise self.terminate_error
        job = self.jobs.get(job_id)
        if job is None or job.ended or self.on_terminate == "ignore":
            return
        # The outcome arrives later, as a fact, like with a real provider (SIGTERM takes a while).
        codes = {rank: 143 for rank in range(job.run.replicas)} if job.started else {}
        job.steps = [Exit(codes)]

    async def extend(self, job_id: str, new_time_allocation_ms: int) -> None:
        self.extended.append((job_id, new_time_allocation_ms))
        self._touch()
        if self.extend_error is not None:
            raise self.extend_error

    def log_files(self, job_id: str, replicas: int) -> list[LogFile]:
        if self.log_dir is None:
            return []
        folder = self.log_dir / job_id
        return [
            LogFile(rank, stream, folder / f"rank-{rank}.{stream}")
            for rank in range(replicas)
            for stream in ("stdout", "stderr")
        ]

    # ---- emitting facts directly ----

    def start_job(self, job_id: str) -> Handle:
        job = self._job(job_id)
        job.started = True
        job.handle = {"fake": job_id, "pid": 1000 + int(job_id)}
        self.emit(Started(job_id, job.handle, provider_job_id=f"fake-{job_id}"))
        return job.handle

    def exit_job(self, job_id: str, exit_codes: Mapping[int, int] | None = None) -> None:
        self._job(job_id).ended = True
        self.emit(Exited(job_id, dict(exit_codes or {0: 0})))

    def fail_job(self, job_id: str, reason: str) -> None:
        self._job(job_id).ended = True
        self.emit(Failed(job_id, reason))

    def queue_job(self, job_id: str, reason: str = "Resources") -> None:
        self.emit(Queued(job_id, reason))

    def time_out(self, job_id: str) -> None:
        self._job(job_id).ended = True
        self.emit(TimedOut(job_id))

    def emit(self, fact: Fact) -> None:
        assert self.sink is not None, "connect the fake to a sink (service.on_fact) first"
        self.facts.append(fact)
        self.sink(fact)

    # ---- logs ----

    def write_log(self, job_id: str, text: str, *, rank: int = 0, stream: str = "stdout") -> None:
        """Append to a job's log file, as its process would."""
        assert self.log_dir is not None, "give the fake a log_dir"
        path = self.log_dir / job_id / f"rank-{rank}.{stream}"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(text)

    # ---- running scripts ----

    def tick(self) -> bool:
        """Run one step of every job that has one. True if anything happened."""
        progressed = False
        for job_id, job in list(self.jobs.items()):
            if not job.steps:
                continue
            progressed = True
            step = job.steps.pop(0)
            match step:
                case Wait():
                    pass
                case Start():
                    self.start_job(job_id)
                case Exit(codes=codes):
                    self.exit_job(job_id, codes)
                case Fail(reason=reason):
                    self.fail_job(job_id, reason)
                case Queue(reason=reason):
                    self.queue_job(job_id, reason)
                case Refuse():
                    raise AssertionError("refuse() must be the first step of a script")
        return progressed

    async def run_until_idle(self, max_ticks: int = 1000) -> None:
        """Tick until no job has a step left, letting the event loop run between ticks so the
        service's background work (terminate after expiry, say) happens too."""
        for _ in range(max_ticks):
            await _yield_to_loop()
            if not self.tick():
                await _yield_to_loop()
                if not any(job.steps for job in self.jobs.values()):
                    return
        raise AssertionError(f"still busy after {max_ticks} ticks")

    async def wait_for_call(
        self, predicate: Callable[[FakeProvider], bool], timeout: float = 1.0
    ) -> None:
        """Wait until the service has made a call that satisfies `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError("the expected provider call was not made in time")
            activity = self._activity = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(activity.wait(), remaining)

    # ---- internals ----

    def _job(self, job_id: str) -> FakeJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise AssertionError(f"the fake provider has no job {job_id}")
        return job

    def _touch(self) -> None:
        if self._activity is not None:
            self._activity.set()


async def _yield_to_loop() -> None:
    # Not a sleep: lets every ready callback and task run once.
    await asyncio.sleep(0)
