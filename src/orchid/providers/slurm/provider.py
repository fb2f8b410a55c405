"""Jobs on a Slurm cluster: sbatch to submit, one squeue per tick to track every job, scontrol
to extend, scancel to terminate.

Tracking is one poll loop per provider. Each tick runs ONE `squeue` for all of this user's jobs
that slurmctld remembers (finished ones included), keeps the rows whose comment marks them as this
Orchid's, and maps each job's state through the table in states.py. Only jobs that left squeue
altogether cost a second query: ONE `sacct` for all of them (slurmdbd accounting, or the
jobcomp/filetxt completion log). A job that neither knows is reported as Failed, never as done.

Crash safety rests on the job's comment (`orchid:<tag>:<job id>`) and two files in its folder
(jobfolder.py): `submitting` is written before sbatch, `slurm-job-id` after. A job that the service
hands back without a handle (Orchid stopped before it saw the job start) is first looked for in
Slurm by its comment and adopted if found; it is submitted again only if Slurm cannot have
forgotten it, so it never runs twice.

When slurmctld does not answer, every job keeps its state and is told so once (Unreachable);
extend and terminate raise a transient ProviderError (503); new jobs are accepted and submitted
once the controller answers again (after looking for them first, since an sbatch that timed out
may have reached it). Everything is reported Reachable again when the next query succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence

from orchid.errors import ProviderError
from orchid.providers.base import (
    Capabilities,
    Exited,
    Fact,
    FactSink,
    Failed,
    JobRun,
    LogFile,
    ProductShape,
    Provider,
    Queued,
    Reachable,
    Started,
    TimedOut,
    Unreachable,
)
from orchid.providers.slurm import commands, jobfolder, runner
from orchid.providers.slurm.commands import Submission
from orchid.providers.slurm.handle import SlurmHandle
from orchid.providers.slurm.options import SlurmOptions
from orchid.providers.slurm.parse import (
    AccountingRow,
    ClusterConfig,
    NodeShape,
    QueueRow,
    code_from_exit_field,
    code_from_wait_status,
    parse_config,
    parse_sacct,
    parse_sbatch,
    parse_sinfo,
    parse_squeue,
)
from orchid.providers.slurm.runner import CommandFailed
from orchid.providers.slurm.states import SILENT_REASONS, Meaning, Phase, meaning_of
from orchid.providers.slurm.tracked import PollStats, TrackedJob, exit_codes

log = logging.getLogger(__name__)

# Slurm's default MinJobAge: how long slurmctld remembers a finished job, unless it says otherwise.
DEFAULT_MIN_JOB_AGE = 300
# A job is watched at the busy interval for this long after it was submitted (to see it start).
BUSY_AFTER_SUBMIT_SECONDS = 5.0
# A new job's pending reason is shown only once the scheduler has had a pass at it.
QUIET_AFTER_SUBMIT_SECONDS = 1.0
# Reading the cluster's configuration at start must not hold up Orchid for long.
STARTUP_TIMEOUT_SECONDS = 5.0


class SlurmProvider(Provider):
    def __init__(
        self,
        provider_id: str,
        options: SlurmOptions,
        sink: FactSink,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = provider_id
        self.capabilities = Capabilities(time_extension=True, logs=True)
        self.options = options
        self.stats = PollStats()
        self._sink = sink
        self._clock = clock
        self._tag = options.tag
        self._env = _command_env(options)
        self._jobs: dict[str, TrackedJob] = {}  # in creation order
        self._cluster: ClusterConfig | None = None
        self._nodes: list[NodeShape] | None = None
        self._unreachable: str | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    # ---- Provider ----

    async def start(self) -> None:
        self._wake = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._refresh_cluster(), STARTUP_TIMEOUT_SECONDS)
        self._task = asyncio.get_running_loop().create_task(self._poll_loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._jobs.clear()

    def fits(self, product: ProductShape, replicas: int) -> bool:
        if self._nodes is None:  # not known yet: let Slurm decide at submit
            return True
        memory_mb = product.memory_gib * 1024
        usable = [
            n
            for n in self._nodes
            if n.cpus >= product.cpu and n.memory_mb >= memory_mb and n.gpus >= product.gpu
        ]
        return len(usable) >= replicas

    async def submit(self, run: JobRun) -> None:
        _check_job_id(run.job_id)
        if run.job_id in self._jobs:
            log.warning("%s submitted twice; ignored", run.job_id)
            return
        if run.replicas < 1 or not run.argv:
            raise ProviderError("a job needs a command and at least one replica")
        if not self.fits(run.product, run.replicas):
            raise ProviderError(
                f"{run.replicas} x {run.product.id} does not fit any node of the partition"
            )
        why = jobfolder.check_env_names(run.env)
        if why is not None:
            raise ProviderError(why)
        job = TrackedJob(run, self.options.job_root / run.job_id, run.time_allocation_ms)
        job.submitted_at = self._clock()
        self._jobs[run.job_id] = job
        self._poke()
        if self._unreachable is not None:
            job.deferred = True
            self._tell_unreachable(job)
            return
        try:
            await self._sbatch(job)
        except ProviderError:
            self._jobs.pop(run.job_id, None)
            raise

    async def recover(self, runs: Sequence[JobRun]) -> None:
        for run in runs:
            if run.job_id in self._jobs:
                continue
            try:
                _check_job_id(run.job_id)
            except ProviderError as e:
                self._emit(Failed(run.job_id, f"cannot re-attach: {e.why}"))
                continue
            job = TrackedJob(run, self.options.job_root / run.job_id, run.time_allocation_ms)
            if run.handle is None:
                # Orchid stopped before it saw the job start: it may or may not be in Slurm.
                job.deferred = job.reconcile = True
            else:
                try:
                    handle = SlurmHandle.from_json(run.handle)
                except ValueError as e:
                    self._emit(Failed(run.job_id, f"cannot re-attach: {e}"))
                    continue
                cluster = self._cluster.cluster_name if self._cluster else None
                if handle.cluster and cluster and handle.cluster != cluster:
                    reason = f"it ran on Slurm cluster {handle.cluster!r}, not {cluster!r}"
                    self._emit(Failed(run.job_id, f"cannot re-attach: {reason}"))
                    continue
                job.dir = handle.job_dir
                job.slurm_id = handle.slurm_id
                job.started = True
                job.check_limit = job.time_limit_ms is not None
            self._jobs[run.job_id] = job
            log.info("%s re-attaching (Slurm job %s)", run.job_id, job.slurm_id or "unknown")
        self._poke()

    async def terminate(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        job.terminating = True
        self._poke()
        if job.slurm_id is None:
            if job.deferred and not job.reconcile:
                # Never reached Slurm: nothing to cancel.
                del self._jobs[job_id]
                log.info("%s withdrawn before it reached Slurm", job_id)
                self._emit(Exited(job_id, {}, signalled_by_provider=True))
            # Otherwise sbatch is under way, or the job is still to be looked for in Slurm:
            # it is cancelled as soon as its Slurm id is known.
            return
        if self._unreachable is not None:
            raise _unavailable(self._unreachable, "it will be cancelled when it is back")
        await self._scancel([job], raise_transient=True)

    async def extend(self, job_id: str, new_time_allocation_ms: int) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            raise ProviderError(f"job {job_id} is no longer tracked by Slurm provider {self.id}")
        previous = job.time_limit_ms
        job.time_limit_ms = new_time_allocation_ms
        if job.slurm_id is None:
            # Not in Slurm yet: sbatch will ask for the new limit, or (if sbatch is already under
            # way) the first tick that sees the job corrects it.
            job.check_limit = True
            return
        if self._unreachable is not None:
            job.time_limit_ms = previous
            raise _unavailable(self._unreachable, "the time limit cannot be changed now")
        try:
            await self._run(
                commands.extend_argv(self.options, job.slurm_id, new_time_allocation_ms)
            )
        except CommandFailed as e:
            job.time_limit_ms = previous
            if e.transient:
                self._lost_contact(e.message)
                raise _unavailable(e.message, "the time limit cannot be changed now") from e
            raise ProviderError(
                f"Slurm refused the new time limit of job {job.slurm_id}: {e.message}",
                error_code="EXTENSION_REFUSED",
            ) from e
        log.info("%s Slurm time limit raised (job %s)", job_id, job.slurm_id)

    def log_files(self, job_id: str, replicas: int) -> list[LogFile]:
        job = self._jobs.get(job_id)
        job_dir = job.dir if job is not None else self.options.job_root / job_id
        files: list[LogFile] = []
        for rank in range(replicas):
            files.append(LogFile(rank, "stdout", jobfolder.stdout_file(job_dir, rank)))
            files.append(LogFile(rank, "stderr", jobfolder.stderr_file(job_dir, rank)))
        return files

    # ---- submitting ----

    async def _sbatch(self, job: TrackedJob) -> None:
        """Submit a job that is not in Slurm. If the controller does not answer, the job is
        deferred (to be looked for, then submitted, on a later tick). Raises ProviderError if
        Slurm refuses it or its folder cannot be written."""
        job.deferred = False
        run = job.run
        env = jobfolder.job_env(run.env, run.job_id, run.replicas)
        submission = Submission(
            job_id=run.job_id,
            job_dir=job.dir,
            replicas=run.replicas,
            cpus=run.product.cpu,
            memory_gib=run.product.memory_gib,
            gpus=run.product.gpu,
            time_allocation_ms=job.time_limit_ms,
        )
        script = job.dir / jobfolder.BATCH_SCRIPT_NAME
        argv = commands.sbatch_argv(self.options, self._tag, submission, script)
        try:
            # A dozen file operations: off the event loop, like the command itself.
            await asyncio.to_thread(jobfolder.prepare, job.dir, run.argv, env)
        except (OSError, ValueError) as e:
            raise ProviderError(f"cannot prepare the job folder {job.dir}: {e}") from e
        try:
            out = await self._run(argv)
            slurm_id = parse_sbatch(out)
        except CommandFailed as e:
            if not e.transient:
                raise ProviderError(f"Slurm refused the job: {e.message}") from e
            # sbatch may have reached slurmctld before the answer was lost: look before retrying.
            log.warning("%s sbatch failed, will retry: %s", job.id, e.message)
            job.deferred = job.reconcile = True
            self._lost_contact(e.message)
            return
        except ValueError as e:
            log.warning("%s sbatch answer not understood, will look for the job: %s", job.id, e)
            job.deferred = job.reconcile = True
            return
        self._adopt(job, slurm_id, self._clock())
        job.submitted_at = self._clock()
        self._poke()  # watch it start at the busy interval
        job.check_limit = job.check_limit or job.time_limit_ms != submission.time_allocation_ms
        log.info("%s submitted to Slurm as job %s", job.id, slurm_id)
        if job.terminating:
            await self._scancel([job], raise_transient=False)

    def _adopt(self, job: TrackedJob, slurm_id: str, known_at: float) -> None:
        job.slurm_id = slurm_id
        job.known_at = known_at
        job.deferred = job.reconcile = False
        try:
            jobfolder.record_slurm_id(job.dir, slurm_id)
        except OSError as e:  # the comment still identifies the job after a restart
            log.warning("%s cannot record Slurm job id %s: %s", job.id, slurm_id, e)

    async def _submit_deferred(self, job: TrackedJob, found: list[QueueRow], began: float) -> None:
        """A job not in Slurm as far as Orchid knows: adopt it if this tick's squeue shows it,
        else submit it (or, if cancelled meanwhile, drop it)."""
        if job.reconcile:
            if found:
                await self._adopt_found(job, found, began)
                return
            recorded = jobfolder.recorded_slurm_id(job.dir)
            if recorded is not None:
                # sbatch answered before Orchid stopped, and slurmctld has forgotten the job since:
                # accounting (or its absence) decides its fate like for any other job.
                self._adopt(job, recorded, float("-inf"))
                return
            since = jobfolder.submitting_since(job.dir)
            memory = self._cluster.min_job_age_seconds if self._cluster else DEFAULT_MIN_JOB_AGE
            if since is not None and time.time() - since >= memory:
                del self._jobs[job.id]
                reason = (
                    "Orchid stopped while submitting this job, and Slurm no longer remembers "
                    "jobs that old; it was not submitted again so that it cannot run twice"
                )
                log.warning("%s failed: %s", job.id, reason)
                self._emit(Failed(job.id, reason))
                return
        if job.terminating:
            del self._jobs[job.id]
            log.info("%s withdrawn before it reached Slurm", job.id)
            self._emit(Exited(job.id, {}, signalled_by_provider=True))
            return
        try:
            await self._sbatch(job)
        except ProviderError as e:
            self._jobs.pop(job.id, None)
            log.info("%s failed: %s", job.id, e.why)
            self._emit(Failed(job.id, e.why))

    async def _adopt_found(self, job: TrackedJob, found: list[QueueRow], began: float) -> None:
        active = [r for r in found if not _phase_is_final(r.state)]
        chosen = (active or found)[-1]
        extra = [r.slurm_id for r in active if r is not chosen]
        self._adopt(job, chosen.slurm_id, began)
        log.info(
            "%s found in Slurm as job %s: adopted, not submitted again", job.id, chosen.slurm_id
        )
        if extra:
            log.warning("%s cancelling duplicate Slurm job(s) %s", job.id, ", ".join(extra))
            with contextlib.suppress(CommandFailed):
                await self._run(commands.scancel_argv(self.options, extra))
        if job.terminating:
            await self._scancel([job], raise_transient=False)
        await self._observe(job, chosen)

    # ---- tracking ----

    async def _poll_loop(self) -> None:
        """Tick while there are jobs; sleep while there are none. A new job (a poke) cuts the
        wait short to the busy interval, but never makes ticks more frequent than that."""
        assert self._wake is not None
        while True:
            if not self._jobs:
                self._wake.clear()
                await self._wake.wait()
            began = self._clock()
            try:
                await self._tick()
            except Exception:
                log.exception("Slurm provider %s: tick failed", self.id)
            while (delay := began + self._interval() - self._clock()) > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    def _interval(self) -> float:
        if self._unreachable is not None:  # no hurry: nothing can change until it answers
            return self.options.poll_seconds
        now = self._clock()
        for job in self._jobs.values():
            settling = not job.started and now - job.submitted_at < BUSY_AFTER_SUBMIT_SECONDS
            if settling or job.terminating:
                return self.options.busy_poll_seconds
        return self.options.poll_seconds

    async def _tick(self) -> None:
        """One look at the cluster: one squeue, plus one sacct if some job left squeue."""
        self.stats.ticks += 1
        if self._cluster is None and self._unreachable is None:
            await self._refresh_cluster()
        began = self._clock()
        try:
            rows = parse_squeue(await self._run(commands.squeue_argv(self.options)))
        except CommandFailed as e:
            if e.transient:
                self._lost_contact(e.message)
            else:
                log.warning("Slurm provider %s: squeue failed: %s", self.id, e.message)
            return
        await self._regained_contact()
        by_slurm_id: dict[str, QueueRow] = {}
        by_job_id: dict[str, list[QueueRow]] = {}
        for row in rows:
            owner = commands.owner_of(self._tag, row.comment)
            if owner is not None:
                by_slurm_id[row.slurm_id] = row
                by_job_id.setdefault(owner, []).append(row)
        await self._retry_cancels()
        missing: list[TrackedJob] = []
        for job in list(self._jobs.values()):
            if self._jobs.get(job.id) is not job:
                continue  # ended while this tick awaited something
            if job.slurm_id is None:
                if job.deferred:
                    await self._submit_deferred(job, by_job_id.get(job.id, []), began)
                continue
            seen = by_slurm_id.get(job.slurm_id)
            if seen is None or commands.owner_of(self._tag, seen.comment) != job.id:
                if job.known_at < began:
                    missing.append(job)
                continue
            await self._observe(job, seen)
        if missing:
            await self._resolve_missing(missing)

    async def _observe(self, job: TrackedJob, row: QueueRow) -> None:
        meaning = meaning_of(row.state)
        if meaning is None:
            log.warning("%s Slurm job %s is in unknown state %r", job.id, row.slurm_id, row.state)
            return
        if not meaning.phase.is_final and job.check_limit:
            await self._fix_time_limit(job, row)
        if meaning.phase is Phase.QUEUED:
            # Until the scheduler's first pass over a new job its reason is "Priority" or "None",
            # even on an idle cluster: only a job still waiting after that has a reason to show.
            settled = self._clock() - job.submitted_at >= QUIET_AFTER_SUBMIT_SECONDS
            reason = row.reason
            if (
                settled
                and not job.started
                and reason not in SILENT_REASONS
                and reason != job.reason
            ):
                job.reason = reason
                log.info("%s waiting in Slurm: %s", job.id, reason)
                self._emit(Queued(job.id, reason))
        elif meaning.phase is Phase.RUNNING:
            self._announce_start(job)
        else:
            self._finish(job, meaning, row.state, code_from_wait_status(row.exit_status))

    async def _resolve_missing(self, jobs: list[TrackedJob]) -> None:
        """Jobs slurmctld no longer lists: their outcome comes from accounting, if there is any;
        without a record they are lost, which is a failure."""
        records: dict[str, AccountingRow] = {}
        cluster = self._cluster
        if cluster is not None and (cluster.has_accounting or cluster.has_completion_log):
            ids = [job.slurm_id for job in jobs if job.slurm_id is not None]
            argv = commands.sacct_argv(self.options, ids, completion=not cluster.has_accounting)
            try:
                records = {r.slurm_id: r for r in parse_sacct(await self._run(argv))}
            except CommandFailed as e:
                if e.transient:
                    self._lost_contact(e.message)
                    return
                log.warning("Slurm provider %s: sacct failed: %s", self.id, e.message)
        for job in jobs:
            if self._jobs.get(job.id) is not job or job.slurm_id is None:
                continue
            record = records.get(job.slurm_id)
            if record is not None and record.name != commands.job_name(self._tag, job.id):
                record = None  # the same number, another job (a cluster whose state was reset)
            meaning = meaning_of(record.state) if record is not None else None
            if record is not None and meaning is not None and meaning.phase.is_final:
                self._finish(job, meaning, record.state, code_from_exit_field(record.exit_code))
                continue
            del self._jobs[job.id]
            last = f" (accounting last saw it {record.state})" if record is not None else ""
            reason = (
                f"Slurm job {job.slurm_id} is no longer known to Slurm{last} and has no final "
                "accounting record, so its outcome is unknown"
            )
            log.warning("%s failed: %s", job.id, reason)
            self._emit(Failed(job.id, reason))

    def _announce_start(self, job: TrackedJob) -> None:
        if job.started or job.slurm_id is None:
            return
        job.started = True
        cluster = self._cluster.cluster_name if self._cluster else None
        handle = SlurmHandle(job.slurm_id, job.dir, cluster)
        log.info("%s started: Slurm job %s", job.id, job.slurm_id)
        self._emit(Started(job.id, handle.to_json(), provider_job_id=job.slurm_id))

    def _finish(self, job: TrackedJob, meaning: Meaning, state: str, slurm_code: int) -> None:
        """Report how a job ended, and stop tracking it."""
        del self._jobs[job.id]
        phase = meaning.phase
        ran = phase in (Phase.EXITED, Phase.TIMED_OUT) or jobfolder.batch_started(
            job.dir, job.run.replicas
        )
        if ran and phase is not Phase.FAILED:
            self._announce_start(job)
        if phase is Phase.FAILED:
            reason = f"Slurm job {job.slurm_id} ended {state}: {meaning.note}"
            log.info("%s failed: %s", job.id, reason)
            self._emit(Failed(job.id, reason))
        elif phase is Phase.TIMED_OUT:
            log.info("%s hit its Slurm time limit (%s)", job.id, state)
            self._emit(TimedOut(job.id))
        else:
            codes = exit_codes(job, slurm_code) if ran else {}
            cancelled = phase is Phase.CANCELLED and not job.terminating
            log.info("%s ended %s: exit codes %s", job.id, state, codes)
            self._emit(
                Exited(
                    job.id,
                    codes,
                    signalled_by_provider=job.terminating,
                    cancelled=cancelled,
                    reason=meaning.note,
                )
            )

    async def _fix_time_limit(self, job: TrackedJob, row: QueueRow) -> None:
        """After a restart (or an extension while sbatch was under way) Slurm's limit may be
        short of what Orchid persisted: raise it."""
        job.check_limit = False
        if job.time_limit_ms is None or job.slurm_id is None:
            return
        wanted = commands.time_limit_minutes(job.time_limit_ms)
        if row.time_limit_minutes is not None and row.time_limit_minutes >= wanted:
            return
        try:
            await self._run(commands.extend_argv(self.options, job.slurm_id, job.time_limit_ms))
            log.info("%s Slurm time limit corrected to %d min", job.id, wanted)
        except CommandFailed as e:
            log.warning("%s cannot correct the Slurm time limit: %s", job.id, e.message)

    # ---- cancelling ----

    async def _scancel(self, jobs: list[TrackedJob], *, raise_transient: bool) -> None:
        jobs = [job for job in jobs if job.slurm_id is not None]
        ids = [job.slurm_id for job in jobs if job.slurm_id is not None]
        if not ids:
            return
        for job in jobs:  # a tick running meanwhile must not send another
            job.cancel_sent = True
        try:
            await self._run(commands.scancel_argv(self.options, ids))
        except CommandFailed as e:
            if e.transient:
                for job in jobs:
                    job.cancel_sent = False
                self._lost_contact(e.message)
                if raise_transient:
                    raise _unavailable(e.message, "it will be cancelled when it is back") from e
                return
            # e.g. the job already ended: its outcome arrives with the next tick
            log.info("scancel %s: %s", " ".join(ids), e.message)
            return
        log.info("cancelled Slurm job(s) %s", " ".join(ids))

    async def _retry_cancels(self) -> None:
        pending = [
            j for j in self._jobs.values() if j.terminating and not j.cancel_sent and j.slurm_id
        ]
        if pending:
            await self._scancel(pending, raise_transient=False)

    # ---- contact with slurmctld ----

    def _lost_contact(self, message: str) -> None:
        if self._unreachable is None:
            log.warning("Slurm provider %s: the scheduler is unreachable: %s", self.id, message)
        self._unreachable = message
        for job in self._jobs.values():
            self._tell_unreachable(job)

    def _tell_unreachable(self, job: TrackedJob) -> None:
        if not job.told_unreachable and self._unreachable is not None:
            job.told_unreachable = True
            self._emit(Unreachable(job.id, self._unreachable))

    async def _regained_contact(self) -> None:
        if self._unreachable is None:
            return
        self._unreachable = None
        log.info("Slurm provider %s: the scheduler answers again", self.id)
        for job in list(self._jobs.values()):
            if job.told_unreachable:
                job.told_unreachable = False
                self._emit(Reachable(job.id))
        await self._refresh_cluster()

    async def _refresh_cluster(self) -> None:
        """Read the cluster's configuration and the partition's nodes (at start, and whenever
        the controller answers again)."""
        try:
            self._cluster = parse_config(await self._run(commands.config_argv(self.options)))
            self._nodes = parse_sinfo(await self._run(commands.sinfo_argv(self.options)))
        except CommandFailed as e:
            if e.transient:
                self._lost_contact(e.message)
            else:
                log.warning("Slurm provider %s: cannot read the cluster: %s", self.id, e.message)
        except ValueError as e:
            log.warning("Slurm provider %s: cannot read the cluster: %s", self.id, e)

    # ---- helpers ----

    async def _run(self, argv: list[str]) -> str:
        name = os.path.basename(argv[0])
        self.stats.commands[name] += 1
        began = time.monotonic()
        try:
            return await runner.run(argv, self._env, self.options.command_timeout_seconds)
        finally:
            self.stats.seconds[name] += time.monotonic() - began

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _emit(self, fact: Fact) -> None:
        try:
            self._sink(fact)
        except Exception:
            log.exception("%s fact sink failed on %s", fact.job_id, type(fact).__name__)


def _phase_is_final(state: str) -> bool:
    meaning = meaning_of(state)
    return meaning is not None and meaning.phase.is_final


def _unavailable(message: str, consequence: str) -> ProviderError:
    return ProviderError(
        f"the Slurm scheduler is unreachable ({message}); {consequence}", transient=True
    )


def _command_env(options: SlurmOptions) -> dict[str, str]:
    """The environment of every Slurm command, and so (through sbatch) the base environment of
    every job: deliberately small, so none of Orchid's own settings leak into jobs."""
    env = {"PATH": os.environ.get("PATH") or os.defpath, "LANG": "C.UTF-8"}
    conf = options.slurm_conf or os.environ.get("SLURM_CONF")
    if conf:
        env["SLURM_CONF"] = str(conf)
    return env


def _check_job_id(job_id: str) -> None:
    # The id names the job's folder and goes into the job's name and comment.
    if not job_id or not all(c.isalnum() or c in "-_" for c in job_id):
        raise ProviderError(f"job id {job_id!r} cannot name a Slurm job folder")
