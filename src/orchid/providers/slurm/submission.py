"""Putting jobs into Slurm, and finding them again after a restart.

Crash safety rests on the job's comment (`orchid:<tag>:<job id>`) and two files in its folder
(jobfolder.py): `submitting` is written before sbatch, `slurm-job-id` after. A job that the service
hands back without a handle (Orchid stopped before it saw the job start) is first looked for in
Slurm by its comment and adopted if found; it is submitted again only if Slurm cannot have
forgotten it, so it never runs twice.

A job that cannot be submitted now (slurmctld does not answer, or it was handed back without a
handle) is *deferred*: the next tick of tracking.py that sees the controller answer calls
`submit_deferred` with what its squeue found under the job's comment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from orchid.errors import ProviderError
from orchid.providers import sandbox
from orchid.providers.base import Exited, Failed, JobRun, ProductShape, UnixIdentity
from orchid.providers.slurm import commands, jobfolder
from orchid.providers.slurm.commands import Submission
from orchid.providers.slurm.handle import SlurmHandle
from orchid.providers.slurm.parse import QueueRow, parse_sbatch
from orchid.providers.slurm.runner import CommandFailed
from orchid.providers.slurm.session import SlurmSession
from orchid.providers.slurm.states import meaning_of
from orchid.providers.slurm.tracked import TrackedJob

log = logging.getLogger(__name__)

# Slurm's default MinJobAge: how long slurmctld remembers a finished job, unless it says otherwise.
DEFAULT_MIN_JOB_AGE = 300


def fits(session: SlurmSession, product: ProductShape, replicas: int) -> bool:
    if session.nodes is None:  # not known yet: let Slurm decide at submit
        return True
    memory_mb = product.memory_gib * 1024
    usable = [
        n
        for n in session.nodes
        if n.cpus >= product.cpu and n.memory_mb >= memory_mb and n.gpus >= product.gpu
    ]
    return len(usable) >= replicas


async def submit(session: SlurmSession, run: JobRun) -> None:
    """Track a new job and submit it, or defer it while the controller does not answer.
    Raises ProviderError if the job cannot run here or Slurm refuses it."""
    check_job_id(run.job_id)
    if run.job_id in session.jobs:
        log.warning("%s submitted twice; ignored", run.job_id)
        return
    if run.replicas < 1 or not run.argv:
        raise ProviderError("a job needs a command and at least one replica")
    if "=" in run.argv[0]:
        raise ProviderError(f"the program's name {run.argv[0]!r} cannot contain '='")
    if not fits(session, run.product, run.replicas):
        raise ProviderError(
            f"{run.replicas} x {run.product.id} does not fit any node of the partition"
        )
    why = jobfolder.check_env_names(run.env) or sandbox.missing(session.options.sandbox)
    if why is not None:
        raise ProviderError(why)
    account_for(run)
    job = TrackedJob(run, session.options.job_root / run.job_id, run.time_allocation_ms)
    job.submitted_at = session.clock()
    session.jobs[run.job_id] = job
    session.poke()
    if session.unreachable is not None:
        job.deferred = True
        session.tell_unreachable(job)
        return
    try:
        await sbatch(session, job)
    except ProviderError:
        session.jobs.pop(run.job_id, None)
        raise


def recover(session: SlurmSession, runs: Sequence[JobRun]) -> None:
    """Track again the jobs the service hands back after a restart: by their handle, or (without
    one) deferred, to be looked for in Slurm before they are submitted. A job that cannot be
    re-attached is reported Failed."""
    for run in runs:
        if run.job_id in session.jobs:
            continue
        try:
            check_job_id(run.job_id)
        except ProviderError as e:
            session.emit(Failed(run.job_id, f"cannot re-attach: {e.why}"))
            continue
        job = TrackedJob(run, session.options.job_root / run.job_id, run.time_allocation_ms)
        if run.handle is None:
            # Orchid stopped before it saw the job start: it may or may not be in Slurm.
            job.deferred = job.reconcile = True
        else:
            try:
                handle = SlurmHandle.from_json(run.handle)
            except ValueError as e:
                session.emit(Failed(run.job_id, f"cannot re-attach: {e}"))
                continue
            cluster = session.cluster.cluster_name if session.cluster else None
            if handle.cluster and cluster and handle.cluster != cluster:
                reason = f"it ran on Slurm cluster {handle.cluster!r}, not {cluster!r}"
                session.emit(Failed(run.job_id, f"cannot re-attach: {reason}"))
                continue
            job.dir = handle.job_dir
            job.slurm_id = handle.slurm_id
            job.started = True
            job.check_limit = job.time_limit_ms is not None
        session.jobs[run.job_id] = job
        log.info("%s re-attaching (Slurm job %s)", run.job_id, job.slurm_id or "unknown")
    session.poke()


def withdraw(session: SlurmSession, job: TrackedJob) -> None:
    """A job cancelled before it reached Slurm: nothing to cancel there."""
    del session.jobs[job.id]
    log.info("%s withdrawn before it reached Slurm", job.id)
    session.emit(Exited(job.id, {}))


def account_for(run: JobRun) -> UnixIdentity | None:
    """The account to submit `run` as (decision 10), or None to submit it as Orchid's own.

    Orchid as root submits every job as its user's account (`JobRun.identity`), so that Slurm's
    accounting and limits see the user, and refuses a job without one: no job runs as root.
    Orchid as another account can only submit as itself. Raises ProviderError."""
    identity = run.identity
    if os.geteuid() == 0:
        if identity is None or identity.uid == 0:
            raise ProviderError(
                "the job has no Unix account to run as, and Orchid never runs a job as root"
            )
        return identity
    if identity is None or identity.uid == os.geteuid():
        return None
    raise ProviderError(
        f"Orchid runs as uid {os.geteuid()} and cannot submit a job as {identity.name!r}"
    )


async def sbatch(session: SlurmSession, job: TrackedJob) -> None:
    """Submit a job that is not in Slurm. If the controller does not answer, the job is
    deferred (to be looked for, then submitted, on a later tick). Raises ProviderError if
    Slurm refuses it, it has no account to run as, or its folder cannot be written."""
    job.deferred = False
    run = job.run
    account = account_for(run)
    env = jobfolder.job_env(
        run.env, run.job_id, run.replicas, sandboxed=session.options.sandbox == "bwrap"
    )
    workdir = slurm_workdir(job, account)
    prefix = sandbox_prefix(session.options.sandbox, workdir, run)
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
    argv = commands.sbatch_argv(session.options, session.tag, submission, script)
    if account is not None:
        argv = commands.as_account(account, argv)
    try:
        # A dozen file operations: off the event loop, like the command itself.
        await asyncio.to_thread(jobfolder.prepare, job.dir, run.argv, env, account, prefix)
        if workdir != run.workdir:
            await asyncio.to_thread(jobfolder.make_workdir, workdir, account)
    except (OSError, ValueError) as e:
        raise ProviderError(f"cannot prepare the job folder {job.dir}: {e}") from e
    try:
        out = await session.run(argv)
        slurm_id = parse_sbatch(out)
    except CommandFailed as e:
        if not e.transient:
            raise ProviderError(f"Slurm refused the job: {e.message}") from e
        # sbatch may have reached slurmctld before the answer was lost: look before retrying.
        log.warning("%s sbatch failed, will retry: %s", job.id, e.message)
        job.deferred = job.reconcile = True
        session.lost_contact(e.message)
        return
    except ValueError as e:
        log.warning("%s sbatch answer not understood, will look for the job: %s", job.id, e)
        job.deferred = job.reconcile = True
        return
    adopt(job, slurm_id, session.clock())
    job.submitted_at = session.clock()
    session.poke()  # watch it start at the busy interval
    job.check_limit = job.check_limit or job.time_limit_ms != submission.time_allocation_ms
    log.info("%s submitted to Slurm as job %s", job.id, slurm_id)
    if job.terminating:
        await session.scancel([job], raise_transient=False)


def adopt(job: TrackedJob, slurm_id: str, known_at: float) -> None:
    job.slurm_id = slurm_id
    job.known_at = known_at
    job.deferred = job.reconcile = False
    try:
        jobfolder.record_slurm_id(job.dir, slurm_id)
    except OSError as e:  # the comment still identifies the job after a restart
        log.warning("%s cannot record Slurm job id %s: %s", job.id, slurm_id, e)


async def submit_deferred(
    session: SlurmSession, job: TrackedJob, found: list[QueueRow], began: float
) -> QueueRow | None:
    """A job not in Slurm as far as Orchid knows: adopt it if this tick's squeue (which began at
    `began`) shows it, else submit it (or, if cancelled meanwhile, drop it). Returns the row of
    the adopted job, which the caller observes like any other."""
    if job.reconcile:
        if found:
            return await adopt_found(session, job, found, began)
        recorded = jobfolder.recorded_slurm_id(job.dir)
        if recorded is not None:
            # sbatch answered before Orchid stopped, and slurmctld has forgotten the job since:
            # accounting (or its absence) decides its fate like for any other job.
            adopt(job, recorded, float("-inf"))
            return None
        since = jobfolder.submitting_since(job.dir)
        memory = session.cluster.min_job_age_seconds if session.cluster else DEFAULT_MIN_JOB_AGE
        if since is not None and time.time() - since >= memory:
            del session.jobs[job.id]
            reason = (
                "Orchid stopped while submitting this job, and Slurm no longer remembers "
                "jobs that old; it was not submitted again so that it cannot run twice"
            )
            log.warning("%s failed: %s", job.id, reason)
            session.emit(Failed(job.id, reason))
            return None
    if job.terminating:
        withdraw(session, job)
        return None
    try:
        await sbatch(session, job)
    except ProviderError as e:
        session.jobs.pop(job.id, None)
        log.info("%s failed: %s", job.id, e.why)
        session.emit(Failed(job.id, e.why))
    return None


async def adopt_found(
    session: SlurmSession, job: TrackedJob, found: list[QueueRow], began: float
) -> QueueRow:
    """Adopt the job Slurm lists under this job's comment (the newest active one), cancelling
    duplicates; returns its row."""
    active = [r for r in found if not _phase_is_final(r.state)]
    chosen = (active or found)[-1]
    extra = [r.slurm_id for r in active if r is not chosen]
    adopt(job, chosen.slurm_id, began)
    log.info("%s found in Slurm as job %s: adopted, not submitted again", job.id, chosen.slurm_id)
    if extra:
        log.warning("%s cancelling duplicate Slurm job(s) %s", job.id, ", ".join(extra))
        with contextlib.suppress(CommandFailed):
            await session.run(commands.scancel_argv(session.options, extra))
    if job.terminating:
        await session.scancel([job], raise_transient=False)
    return chosen


def slurm_workdir(job: TrackedJob, account: UnixIdentity | None) -> Path:
    """The folder the job sees as /work: the one the service gave it when the job's account can
    reach it on the nodes (a storage root shared with them), else `work` in its job folder."""
    given = job.run.workdir
    if given is None:
        return job.dir / jobfolder.WORKDIR
    why = jobfolder.unreachable_by(given, account) if account is not None else None
    if why is None:
        return given
    log.warning("%s works in its job folder, not in its output folder: %s", job.id, why)
    return job.dir / jobfolder.WORKDIR


def sandbox_prefix(kind: sandbox.SandboxKind, workdir: Path, run: JobRun) -> list[str]:
    """What the rank wrapper runs the command under: bwrap up to its `--` (the job runs as the
    account it was submitted as, never root: see account_for), or without a sandbox a change to
    the working folder."""
    if kind == "none":
        return ["/usr/bin/env", "-C", str(workdir)]
    spec = sandbox.Sandbox(
        workdir=workdir,
        mounts=run.mounts,
        system=sandbox.system_paths(),
        binds=sandbox.apps_binds(),
    )
    return sandbox.bwrap_argv(spec, [])


def check_job_id(job_id: str) -> None:
    # The id names the job's folder and goes into the job's name and comment.
    if not job_id or not all(c.isalnum() or c in "-_" for c in job_id):
        raise ProviderError(f"job id {job_id!r} cannot name a Slurm job folder")


def _phase_is_final(state: str) -> bool:
    meaning = meaning_of(state)
    return meaning is not None and meaning.phase.is_final
