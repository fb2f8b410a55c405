"""Jobs as processes on this machine.

One process per replica, each in its own process group, watched through a pidfd registered with the
event loop: no thread, task or poll per process. The exit code of every replica is recorded in a
file by its wrapper (see process.WRAPPER), so it is known even if Orchid was down when the job ended.

Every replica runs in a sandbox (providers/sandbox.py; `sandbox="none"` is for development only)
as its job's Unix account, never as root. The job folder under the jobs directory holds Orchid's
bookkeeping (handle, exit codes, logs, markers; mode 0700, the job cannot see it); the job works in
`run.workdir`, or else in `<job folder>/work`, which it sees as /work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pwd
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orchid.domain.sandbox import WORK
from orchid.errors import ProviderError
from orchid.providers import sandbox
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
    ShellCommand,
    Started,
    UnixIdentity,
    WebTarget,
)
from orchid.providers.local import process, web
from orchid.providers.local.capacity import CapacityQueue, Resources
from orchid.providers.local.containers import LocalContainers
from orchid.providers.local.handle import LocalHandle, read_handle_file
from orchid.providers.local.process import Identity
from orchid.providers.podman import Podman
from orchid.providers.sandbox import SandboxKind

log = logging.getLogger(__name__)

# Written when terminate() is called, so that after a restart a rank killed without an exit status
# is still known to have been stopped by Orchid, and the forced kill can be re-armed.
TERMINATE_MARKER = "terminate-requested"

# How many milliseconds terminate waits for a just-spawned wrapper to start its command.
TERM_ATTEMPTS = 200

# Exit code reported for a replica whose wrapper was SIGKILLed by us and whose status we could not
# collect ourselves (we are no longer its parent).
KILLED_CODE = 128 + signal.SIGKILL

# The job's own folder inside its bookkeeping folder, when the service gives it none.
DEFAULT_WORKDIR = "work"

NO_ACCOUNT = (
    "cannot start: jobs never run as root, and this job has no Unix account to run as "
    "(map its owner to one: orchid users map)"
)


@dataclass
class _Replica:
    rank: int
    identity: Identity
    # True when `identity` is known to be this replica's process (we spawned it, or its starttime
    # matched on recovery): only then may its process group be signalled.
    verified: bool
    is_child: bool
    ended: bool = False
    pidfd: int | None = None


@dataclass
class _Job:
    run: JobRun
    dir: Path
    replicas: list[_Replica] = field(default_factory=list)
    terminating: bool = False
    # Set when the job could not be started completely: reported once its processes are gone.
    failure: str | None = None
    kill_timer: asyncio.TimerHandle | None = None

    @property
    def id(self) -> str:
        return self.run.job_id

    def live(self) -> list[_Replica]:
        return [r for r in self.replicas if r.verified and not r.ended]


class LocalProvider(Provider):
    def __init__(
        self,
        provider_id: str,
        jobs_dir: Path,
        sink: FactSink,
        *,
        cpus: int,
        memory_gib: int,
        grace_seconds: float,
        containers: Podman | None = None,
        sandbox: SandboxKind = "bwrap",
    ) -> None:
        """`sandbox` is how replicas are isolated ("none": not at all, for development only).
        A job runs as `run.identity` when Orchid is root (one without fails: jobs never run as
        root), and as Orchid's own account otherwise."""
        self.id = provider_id
        self.capabilities = Capabilities(
            time_extension=True,
            logs=True,
            containers=containers is not None,
            web=True,
            shell=True,
            # The sandbox binds them below /work (native jobs; container jobs refuse them).
            mounts=True,
        )
        self._containers = LocalContainers(provider_id, containers) if containers else None
        # Absolute, because it ends up in handles that must still mean the same after a restart.
        self._jobs_dir = jobs_dir.absolute()
        self._sink = sink
        self._grace_seconds = grace_seconds
        self._capacity: CapacityQueue[JobRun] = CapacityQueue(Resources(cpus, memory_gib))
        self._jobs: dict[str, _Job] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._admitting = False
        self._removals: set[asyncio.Task[None]] = set()
        self._sandbox: SandboxKind = sandbox

    # ---- Provider ----

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        for job in self._jobs.values():
            if job.kill_timer is not None:
                job.kill_timer.cancel()
            for replica in job.replicas:
                self._unwatch(replica)
        self._jobs.clear()

    def fits(self, product: ProductShape, replicas: int) -> bool:
        # There are no GPUs to hand out on this machine.
        return product.gpu == 0 and self._capacity.could_ever_fit(_need(product, replicas))

    async def submit(self, run: JobRun) -> None:
        _check_job_id(run.job_id)
        if self._is_known(run.job_id):
            log.warning("%s submitted twice; ignored", run.job_id)
            return
        if not self.fits(run.product, run.replicas):
            raise ProviderError(
                f"{run.replicas} x {run.product.id} needs more than this machine offers "
                f"({self._capacity.total.cpus} CPUs, {self._capacity.total.memory_gib} GiB)"
            )
        reason = self._checked_cannot_start(run, self._jobs_dir / run.job_id)
        if reason is not None:
            log.info("%s failed: %s", run.job_id, reason)
            self._emit(Failed(run.job_id, reason))
            return
        if self._capacity.admit(run.job_id, _need(run.product, run.replicas), run):
            self._launch(run)
        else:
            log.info("%s queued: waiting for resources", run.job_id)
            self._emit(Queued(run.job_id, "Resources"))

    async def recover(self, runs: Sequence[JobRun]) -> None:
        # Adopt everything that runs before submitting anything, so the capacity held by adopted
        # jobs is known before new ones are admitted.
        unstarted: list[JobRun] = []
        for run in runs:
            if self._is_known(run.job_id):
                continue
            try:
                _check_job_id(run.job_id)
            except ProviderError as e:
                self._fail_unrecoverable(run.job_id, e.why)
                continue
            handle, announce = run.handle, False
            if handle is None:
                try:
                    handle = read_handle_file(self._jobs_dir / run.job_id)
                except ValueError as e:
                    self._fail_unrecoverable(run.job_id, str(e))
                    continue
                # Started may never have reached the service: report it (again) with the handle.
                announce = handle is not None
            if handle is None and run.cancelling:
                log.info("%s was cancelled before it started: not started now", run.job_id)
                self._emit(Exited(run.job_id, {}))
            elif handle is None:
                unstarted.append(run)
            else:
                self._adopt(run, handle, announce)
        for run in unstarted:
            try:
                await self.submit(run)
            except ProviderError as e:
                log.info("%s failed: %s", run.job_id, e.why)
                self._emit(Failed(run.job_id, e.why))

    async def terminate(self, job_id: str) -> None:
        if self._capacity.withdraw(job_id):
            log.info("%s removed from the queue", job_id)
            self._emit(Exited(job_id, {}))
            return
        job = self._jobs.get(job_id)
        if job is None or job.terminating:
            return
        job.terminating = True
        try:
            (job.dir / TERMINATE_MARKER).touch()
        except OSError as e:  # only the outcome after a restart is affected
            log.warning("%s cannot record the terminate request: %s", job_id, e)
        self._begin_termination(job)

    async def extend(self, job_id: str, new_time_allocation_ms: int) -> None:
        # The service enforces time limits for local jobs; nothing here depends on them.
        return None

    def log_files(self, job_id: str, replicas: int) -> list[LogFile]:
        job = self._jobs.get(job_id)
        job_dir = job.dir if job is not None else self._jobs_dir / job_id
        files: list[LogFile] = []
        for rank in range(replicas):
            files.append(LogFile(rank, "stdout", process.stdout_file(job_dir, rank)))
            files.append(LogFile(rank, "stderr", process.stderr_file(job_dir, rank)))
        return files

    async def web_target(self, job_id: str, rank: int) -> WebTarget:
        job = self._jobs.get(job_id)
        return web.target(job.dir if job is not None else self._jobs_dir / job_id, rank)

    async def shell_command(self, job_id: str, rank: int) -> ShellCommand:
        job = self._jobs.get(job_id)
        if job is None or not 0 <= rank < len(job.replicas) or job.replicas[rank].ended:
            raise ProviderError(f"rank {rank} of job {job_id} is not running")
        sandboxed = self._sandbox == "bwrap"
        env = process.replica_env(job.run.env, job_id, rank, job.run.replicas, sandboxed=sandboxed)
        run_as = self._run_as(job.run)
        if not sandboxed:
            return web.shell_command(env, self._workdir(job.run, job.dir), job_id, run_as=run_as)
        init = process.sandbox_init(job.replicas[rank].identity.pid)
        if init is None:
            raise ProviderError(f"rank {rank} of job {job_id} has no sandbox to enter")
        return web.shell_command(env, None, job_id, enter=init, run_as=run_as)

    # ---- starting ----

    def _launch(self, run: JobRun) -> None:
        """Spawn every replica of a job whose resources are already held."""
        job_dir = self._jobs_dir / run.job_id
        try:
            workdir = self._prepare_folders(run, job_dir)
        except OSError as e:
            self._fail_before_spawn(run.job_id, f"cannot create {e.filename}: {e.strerror}")
            return
        # Checked again: the queue may have held the job while its files changed.
        reason = self._checked_cannot_start(run, job_dir)
        if reason is not None:
            self._fail_before_spawn(run.job_id, reason)
            return
        job = _Job(run, job_dir)
        self._jobs[run.job_id] = job
        boot = process.boot_id()
        try:
            for rank in range(run.replicas):
                sandboxed = self._sandbox == "bwrap" and run.image is None
                env = process.replica_env(
                    run.env, run.job_id, rank, run.replicas, sandboxed=sandboxed
                )
                env.update(web.replica_env(run, rank, job_dir))
                argv: Sequence[str]
                if run.image is not None and self._containers is not None:
                    user = self._run_as(run)
                    ids = (user.uid, user.gid) if user else (os.getuid(), os.getgid())
                    argv, env = self._containers.command(run, rank, workdir, env, ids)
                else:
                    argv = self._command(run, workdir)
                identity = process.spawn(argv, env, job_dir, rank, cwd=workdir)
                replica = _Replica(rank, identity, verified=True, is_child=True)
                job.replicas.append(replica)
                LocalHandle(job_dir, tuple(r.identity for r in job.replicas), boot).write()
                # Our unreaped child keeps its pid: no identity check needed.
                self._watch(job, replica, process.pidfd_open(identity.pid))
        except Exception as e:
            # Not only OSError: a NUL byte (ValueError), an unencodable character
            # (UnicodeEncodeError) or anything else the spawn raises must fail this job alone,
            # with the reason, and give its capacity back.
            reason = f"cannot start replica {len(job.replicas)}: {_describe(e)}"
            log.warning("%s %s; stopping the replicas already started", run.job_id, reason)
            job.failure = reason
            for replica in job.replicas:
                _kill_replica(replica)
                if replica.pidfd is None:
                    # Cannot be watched (no pidfd): counted as gone. If it is not dead yet when
                    # the job is finished, it stays a zombie until Orchid exits; this needs the
                    # process to run out of file descriptors, and is not worth a blocking wait.
                    replica.ended = True
            if all(r.ended for r in job.replicas):
                self._finish(job)
            return
        handle = LocalHandle(job_dir, tuple(r.identity for r in job.replicas), boot)
        pids = [r.identity.pid for r in job.replicas]
        log.info("%s started: %d replica(s), pids %s", run.job_id, run.replicas, pids)
        self._emit(Started(run.job_id, handle.to_json(), provider_job_id=run.job_id))

    def _fail_before_spawn(self, job_id: str, reason: str) -> None:
        self._capacity.release(job_id)
        log.info("%s failed: %s", job_id, reason)
        self._emit(Failed(job_id, reason))
        self._start_waiting()

    def _start_waiting(self) -> None:
        # Not re-entrant: a job that fails while being launched ends up here again, and the loop
        # below picks up what it released, in queue order.
        if self._admitting:
            return
        self._admitting = True
        try:
            while admitted := self._capacity.admit_waiting():
                for run in admitted:
                    self._launch(run)
        finally:
            self._admitting = False

    # ---- recovery ----

    def _adopt(self, run: JobRun, data: Handle, announce: bool) -> None:
        try:
            handle = LocalHandle.from_json(data)
        except ValueError as e:
            self._fail_unrecoverable(run.job_id, str(e))
            return
        job = _Job(run, handle.dir)
        same_boot = handle.boot_id is None or handle.boot_id == process.boot_id()
        for rank, identity in enumerate(handle.replicas):
            pidfd = process.open_if_same(identity) if same_boot else None
            if pidfd is None:
                gone = _Replica(rank, identity, verified=False, is_child=False, ended=True)
                job.replicas.append(gone)
            else:
                is_child = process.is_our_child(identity.pid)
                replica = _Replica(rank, identity, verified=True, is_child=is_child)
                job.replicas.append(replica)
                self._watch(job, replica, pidfd)
        self._jobs[run.job_id] = job
        self._capacity.occupy(run.job_id, _need(run.product, run.replicas))
        alive = len(job.live())
        log.info(
            "%s re-attached: %d of %d replica(s) still running", run.job_id, alive, run.replicas
        )
        if len(handle.replicas) < run.replicas:
            # Orchid stopped while spawning: the job never started as a whole.
            job.failure = f"interrupted while starting ({len(handle.replicas)} replica(s) started)"
            for replica in job.live():
                _kill_replica(replica)
        elif announce:
            self._emit(Started(run.job_id, handle.to_json(), provider_job_id=run.job_id))
        if (job.dir / TERMINATE_MARKER).exists():
            job.terminating = True
            if alive:
                self._begin_termination(job)
        if not alive:
            self._finish(job)

    def _fail_unrecoverable(self, job_id: str, why: str) -> None:
        reason = f"cannot re-attach: {why}"
        log.warning("%s failed: %s", job_id, reason)
        self._emit(Failed(job_id, reason))

    # ---- watching and ending ----

    def _watch(self, job: _Job, replica: _Replica, pidfd: int) -> None:
        replica.pidfd = pidfd
        assert self._loop is not None, "start() must be called first"
        self._loop.add_reader(pidfd, self._on_replica_exit, job.id, replica.rank)

    def _unwatch(self, replica: _Replica) -> None:
        if replica.pidfd is not None:
            assert self._loop is not None
            self._loop.remove_reader(replica.pidfd)
            process.close_pidfd(replica.pidfd)
            replica.pidfd = None

    def _on_replica_exit(self, job_id: str, rank: int) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        replica = job.replicas[rank]
        self._unwatch(replica)
        replica.ended = True
        log.debug("%s replica %d ended", job_id, rank)
        if all(r.ended for r in job.replicas):
            self._finish(job)

    def _begin_termination(self, job: _Job) -> None:
        log.info("%s terminating: SIGTERM, SIGKILL after %gs", job.id, self._grace_seconds)
        for replica in job.live():
            self._term_when_started(job, replica, attempts=TERM_ATTEMPTS)
        assert self._loop is not None
        if job.kill_timer is None:
            job.kill_timer = self._loop.call_later(self._grace_seconds, self._kill, job.id)

    def _term_when_started(self, job: _Job, replica: _Replica, attempts: int) -> None:
        """SIGTERM the replica's group once its wrapper has started the command: a signal that
        arrived earlier would be swallowed by the wrapper's trap (see process.WRAPPER)."""
        if replica.ended or not replica.verified:
            return
        pid = replica.identity.pid
        target: int | None = pid
        if process.command_started(pid):
            init = process.sandbox_init(pid)
            if init is not None:
                # Sandboxed: the job's processes are the init's process group; the wrapper's
                # group holds only bwrap's monitor, which must live on to report the exit code.
                target = init if process.sandbox_running(init) else None
            elif process.is_sandbox_monitor(pid):
                target = None  # bwrap is still setting the sandbox up
        else:
            target = None
        if target is None and attempts > 0:
            assert self._loop is not None
            self._loop.call_later(0.001, self._term_when_started, job, replica, attempts - 1)
            return
        process.signal_group(target or pid, signal.SIGTERM)

    def _kill(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        job.kill_timer = None
        live = job.live()
        if live:
            log.info("%s still running after the grace period: SIGKILL", job_id)
        for replica in live:
            _kill_replica(replica)
        self._remove_containers(job)

    def _finish(self, job: _Job) -> None:
        """Every replica has ended: clean up, release the resources, report, start waiting jobs."""
        if job.kill_timer is not None:
            job.kill_timer.cancel()
            job.kill_timer = None
        codes = {r.rank: process.read_exit_code(job.dir, r.rank) for r in job.replicas}
        # Stragglers (background processes of a replica) die with the job. Our own children are
        # not reaped yet, so their pids (= group ids) cannot have been reused; an adopted one was
        # reaped by init only moments ago, far too recently for its pid to come round again.
        for replica in job.replicas:
            if replica.verified:
                _kill_replica(replica)
        for replica in job.replicas:
            status = process.reap(replica.identity.pid) if replica.is_child else None
            if codes[replica.rank] is None:
                codes[replica.rank] = status
        if job.terminating or job.failure is not None:
            self._remove_containers(job)
        del self._jobs[job.id]
        self._capacity.release(job.id)
        self._emit(_outcome(job, codes))
        self._start_waiting()

    # ---- containers ----

    def _checked_cannot_start(self, run: JobRun, job_dir: Path) -> str | None:
        """Why the job cannot start, or None; a check that itself fails is a reason too."""
        try:
            return self._cannot_start(run, job_dir)
        except Exception as e:  # e.g. a NUL byte in the program's name (ValueError)
            return f"cannot start: {_describe(e)}"

    def _cannot_start(self, run: JobRun, job_dir: Path) -> str | None:
        if run.image is not None and self._containers is None:
            return "cannot start: this machine cannot run containers (podman is not set up)"
        if run.image is not None and run.mounts:
            return "cannot start: container jobs cannot be given folders or files yet"
        user = run.identity
        if user is not None and user.uid == 0:
            return "cannot start: jobs never run as root, and this job's account is uid 0"
        if user is None and os.geteuid() == 0:
            return NO_ACCOUNT
        if run.image is None:
            missing = sandbox.missing(self._sandbox)
            if missing is not None:
                return f"cannot start: {missing}"
            for mount in run.mounts:
                # bwrap would exit 1 with its own message: a job's exit code, not a failure
                if not os.path.lexists(mount.source):
                    return f"cannot start: the sandbox cannot mount {mount.target} (not found)"
        return _cannot_start(run, self._workdir(run, job_dir), sandboxed=self._sandbox == "bwrap")

    # ---- the sandbox ----

    def _run_as(self, run: JobRun) -> UnixIdentity | None:
        """The account to drop to: the job's, when Orchid runs as root (otherwise jobs run as
        Orchid's own account, and only the sandbox separates them)."""
        if os.geteuid() != 0:
            return None
        return run.identity

    def _workdir(self, run: JobRun, job_dir: Path) -> Path:
        return run.workdir if run.workdir is not None else job_dir / DEFAULT_WORKDIR

    def _prepare_folders(self, run: JobRun, job_dir: Path) -> Path:
        """Create the bookkeeping folder (Orchid's alone) and, unless the service gave one, the
        job's working folder (its account's alone); return the latter. Raises OSError."""
        job_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(job_dir, 0o700)
        workdir = self._workdir(run, job_dir)
        if run.workdir is None:
            workdir.mkdir(exist_ok=True, mode=0o700)
            user = self._run_as(run)
            if user is not None:
                os.chown(workdir, user.uid, user.gid)
        elif not workdir.is_dir():
            raise FileNotFoundError(2, "no such folder", str(workdir))
        return workdir

    def _command(self, run: JobRun, workdir: Path) -> list[str]:
        """The argv the wrapper runs for a native replica: the job's, in its sandbox."""
        run_as = self._run_as(run)
        if self._sandbox == "none":
            return sandbox.drop_argv(run_as) + list(run.argv)
        spec = sandbox.Sandbox(
            workdir=workdir,
            mounts=run.mounts,
            run_as=run_as,
            init_groups=run_as is not None and _has_passwd_entry(run_as.uid),
            system=sandbox.system_paths(),
            binds=sandbox.apps_binds(),
        )
        return sandbox.bwrap_argv(spec, run.argv)

    async def check_image(self, image: str) -> None:
        if self._containers is None:
            await super().check_image(image)
            return
        await self._containers.check_image(image)

    def _remove_containers(self, job: _Job) -> None:
        # A killed `podman run` leaves its container running (conmon is not in the replica's
        # process group): remove it. Nobody waits for this; a failure is logged.
        if job.run.image is None or self._containers is None:
            return
        assert self._loop is not None
        task = self._loop.create_task(self._containers.remove(job.run))
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)

    # ---- helpers ----

    def _is_known(self, job_id: str) -> bool:
        return job_id in self._jobs or self._capacity.is_waiting(job_id)

    def _emit(self, fact: Fact) -> None:
        try:
            self._sink(fact)
        except Exception:
            # The provider's own state is already consistent; keep serving the other jobs.
            log.exception("%s fact sink failed on %s", fact.job_id, type(fact).__name__)


def _outcome(job: _Job, codes: dict[int, int | None]) -> Fact:
    if job.failure is not None:
        log.info("%s failed: %s", job.id, job.failure)
        return Failed(job.id, job.failure)
    exit_codes: dict[int, int] = {}
    for rank, code in sorted(codes.items()):
        if code is None and job.terminating:
            code = KILLED_CODE
        if code is None:
            reason = f"replica {rank} vanished without an exit status"
            log.warning("%s failed: %s", job.id, reason)
            return Failed(job.id, reason)
        exit_codes[rank] = code
    log.info("%s exited: codes %s", job.id, exit_codes)
    return Exited(job.id, exit_codes)


def _describe(e: BaseException) -> str:
    """A reason for a status line: the error, without the offending (possibly huge) value."""
    if isinstance(e, UnicodeError):
        return "the command or its environment holds a character that cannot be encoded"
    text = str(e) or type(e).__name__
    return text if len(text) <= 300 else text[:300] + "..."


def _need(product: ProductShape, replicas: int) -> Resources:
    return Resources(product.cpu * replicas, product.memory_gib * replicas)


def _cannot_start(run: JobRun, workdir: Path, *, sandboxed: bool) -> str | None:
    if not run.argv:
        return "cannot start: empty command"
    if run.replicas < 1:
        return "cannot start: no replicas"
    if run.image is not None:
        return None  # the program is inside the image; podman reports what it cannot start
    env = process.replica_env(run.env, run.job_id, 0, run.replicas, sandboxed=sandboxed)
    command = run.argv[0]
    if sandboxed and (command == WORK or command.startswith(WORK + "/")):
        command = str(workdir) + command[len(WORK) :]  # the job's own folder, seen from here
    elif sandboxed and os.path.isabs(command) and not command.startswith(sandbox.SYSTEM_PATHS):
        return None  # a mount or something bwrap makes: the sandbox reports what is missing
    if not process.resolves(command, env["PATH"], workdir):
        return f"cannot start: {run.argv[0]!r} not found"
    return None


def _kill_replica(replica: _Replica) -> None:
    """SIGKILL a replica: its sandbox's init (which takes every process inside with it) and its
    wrapper's group, or (not sandboxed) its group."""
    pid = replica.identity.pid
    init = process.sandbox_init(pid)
    if init is not None:
        process.signal_pid(init, signal.SIGKILL)
    process.signal_group(pid, signal.SIGKILL)


def _has_passwd_entry(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _check_job_id(job_id: str) -> None:
    # The id names the job's folder; it must not lead anywhere else.
    if not job_id or job_id in (".", "..") or "/" in job_id or "\0" in job_id:
        raise ProviderError(f"job id {job_id!r} cannot name a folder")
