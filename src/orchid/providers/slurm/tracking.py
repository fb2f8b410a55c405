"""Watching jobs in Slurm: one poll loop per provider, one squeue per tick for every job.

Each tick runs ONE `squeue` for all of this user's jobs that slurmctld remembers (finished ones
included), keeps the rows whose comment marks them as this Orchid's, and maps each job's state
through the table in states.py. Only jobs that left squeue altogether cost a second query: ONE
`sacct` for all of them (slurmdbd accounting, or the jobcomp/filetxt completion log). A job that
neither knows is reported as Failed, never as done.

A tick is also when deferred jobs are looked for and submitted (submission.py), and when cancels
that could not reach the controller are sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from orchid.providers.base import Exited, Failed, Queued, Started, TimedOut
from orchid.providers.slurm import commands, jobfolder, submission
from orchid.providers.slurm.handle import SlurmHandle
from orchid.providers.slurm.parse import (
    AccountingRow,
    QueueRow,
    code_from_exit_field,
    code_from_wait_status,
    parse_sacct,
    parse_squeue,
)
from orchid.providers.slurm.runner import CommandFailed
from orchid.providers.slurm.session import SlurmSession
from orchid.providers.slurm.states import SILENT_REASONS, Meaning, Phase, meaning_of
from orchid.providers.slurm.tracked import TrackedJob, exit_codes

log = logging.getLogger(__name__)

# A job is watched at the busy interval for this long after it was submitted (to see it start).
BUSY_AFTER_SUBMIT_SECONDS = 5.0
# A new job's pending reason is shown only once the scheduler has had a pass at it.
QUIET_AFTER_SUBMIT_SECONDS = 1.0


async def poll_loop(session: SlurmSession) -> None:
    """Tick while there are jobs; sleep while there are none. A new job (a poke) cuts the
    wait short to the busy interval, but never makes ticks more frequent than that."""
    wake = session.wake
    assert wake is not None
    while True:
        if not session.jobs:
            wake.clear()
            await wake.wait()
        began = session.clock()
        try:
            await tick(session)
        except Exception:
            log.exception("Slurm provider %s: tick failed", session.id)
        while (delay := began + interval(session) - session.clock()) > 0:
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)


def interval(session: SlurmSession) -> float:
    options = session.options
    if session.unreachable is not None:  # no hurry: nothing can change until it answers
        return options.poll_seconds
    now = session.clock()
    for job in session.jobs.values():
        settling = not job.started and now - job.submitted_at < BUSY_AFTER_SUBMIT_SECONDS
        if settling or job.terminating:
            return options.busy_poll_seconds
    return options.poll_seconds


async def tick(session: SlurmSession) -> None:
    """One look at the cluster: one squeue, plus one sacct if some job left squeue."""
    session.stats.ticks += 1
    if session.cluster is None and session.unreachable is None:
        await session.refresh_cluster()
    began = session.clock()
    try:
        rows = parse_squeue(
            await session.run(commands.squeue_argv(session.options, session.account_uids()))
        )
    except CommandFailed as e:
        if e.transient:
            session.lost_contact(e.message)
        else:
            log.warning("Slurm provider %s: squeue failed: %s", session.id, e.message)
        return
    await session.regained_contact()
    by_slurm_id: dict[str, QueueRow] = {}
    by_job_id: dict[str, list[QueueRow]] = {}
    for row in rows:
        owner = commands.owner_of(session.tag, row.comment)
        if owner is not None:
            by_slurm_id[row.slurm_id] = row
            by_job_id.setdefault(owner, []).append(row)
    await session.retry_cancels()
    missing: list[TrackedJob] = []
    for job in list(session.jobs.values()):
        if session.jobs.get(job.id) is not job:
            continue  # ended while this tick awaited something
        if job.slurm_id is None:
            if job.deferred:
                found = by_job_id.get(job.id, [])
                adopted = await submission.submit_deferred(session, job, found, began)
                if adopted is not None:
                    await observe(session, job, adopted)
            continue
        seen = by_slurm_id.get(job.slurm_id)
        if seen is None or commands.owner_of(session.tag, seen.comment) != job.id:
            if job.known_at < began:
                missing.append(job)
            continue
        await observe(session, job, seen)
    if missing:
        await resolve_missing(session, missing)


async def observe(session: SlurmSession, job: TrackedJob, row: QueueRow) -> None:
    """What squeue shows of one job: its pending reason, its start, or its end."""
    meaning = meaning_of(row.state)
    if meaning is None:
        log.warning("%s Slurm job %s is in unknown state %r", job.id, row.slurm_id, row.state)
        return
    if not meaning.phase.is_final and job.check_limit:
        await fix_time_limit(session, job, row)
    if meaning.phase is Phase.QUEUED:
        # Until the scheduler's first pass over a new job its reason is "Priority" or "None",
        # even on an idle cluster: only a job still waiting after that has a reason to show.
        settled = session.clock() - job.submitted_at >= QUIET_AFTER_SUBMIT_SECONDS
        reason = row.reason
        if settled and not job.started and reason not in SILENT_REASONS and reason != job.reason:
            job.reason = reason
            log.info("%s waiting in Slurm: %s", job.id, reason)
            session.emit(Queued(job.id, reason))
    elif meaning.phase is Phase.RUNNING:
        announce_start(session, job)
    else:
        finish(session, job, meaning, row.state, code_from_wait_status(row.exit_status))


async def resolve_missing(session: SlurmSession, jobs: list[TrackedJob]) -> None:
    """Jobs slurmctld no longer lists: their outcome comes from accounting, if there is any;
    without a record they are lost, which is a failure."""
    records: dict[str, AccountingRow] = {}
    cluster = session.cluster
    if cluster is not None and (cluster.has_accounting or cluster.has_completion_log):
        ids = [job.slurm_id for job in jobs if job.slurm_id is not None]
        argv = commands.sacct_argv(session.options, ids, completion=not cluster.has_accounting)
        try:
            records = {r.slurm_id: r for r in parse_sacct(await session.run(argv))}
        except CommandFailed as e:
            if e.transient:
                session.lost_contact(e.message)
                return
            log.warning("Slurm provider %s: sacct failed: %s", session.id, e.message)
    for job in jobs:
        if session.jobs.get(job.id) is not job or job.slurm_id is None:
            continue
        record = records.get(job.slurm_id)
        if record is not None and record.name != commands.job_name(session.tag, job.id):
            record = None  # the same number, another job (a cluster whose state was reset)
        meaning = meaning_of(record.state) if record is not None else None
        if record is not None and meaning is not None and meaning.phase.is_final:
            finish(session, job, meaning, record.state, code_from_exit_field(record.exit_code))
            continue
        del session.jobs[job.id]
        last = f" (accounting last saw it {record.state})" if record is not None else ""
        reason = (
            f"Slurm job {job.slurm_id} is no longer known to Slurm{last} and has no final "
            "accounting record, so its outcome is unknown"
        )
        log.warning("%s failed: %s", job.id, reason)
        session.emit(Failed(job.id, reason))


def announce_start(session: SlurmSession, job: TrackedJob) -> None:
    if job.started or job.slurm_id is None:
        return
    job.started = True
    cluster = session.cluster.cluster_name if session.cluster else None
    handle = SlurmHandle(job.slurm_id, job.dir, cluster)
    log.info("%s started: Slurm job %s", job.id, job.slurm_id)
    session.emit(Started(job.id, handle.to_json(), provider_job_id=job.slurm_id))


def finish(
    session: SlurmSession, job: TrackedJob, meaning: Meaning, state: str, slurm_code: int
) -> None:
    """Report how a job ended, and stop tracking it."""
    del session.jobs[job.id]
    phase = meaning.phase
    ran = phase in (Phase.EXITED, Phase.TIMED_OUT) or jobfolder.batch_started(
        job.dir, job.run.replicas
    )
    if ran and phase is not Phase.FAILED:
        announce_start(session, job)
    if phase is Phase.FAILED:
        reason = f"Slurm job {job.slurm_id} ended {state}: {meaning.note}"
        log.info("%s failed: %s", job.id, reason)
        session.emit(Failed(job.id, reason))
    elif phase is Phase.TIMED_OUT:
        log.info("%s hit its Slurm time limit (%s)", job.id, state)
        session.emit(TimedOut(job.id))
    else:
        codes = exit_codes(job, slurm_code) if ran else {}
        cancelled = phase is Phase.CANCELLED and not job.terminating
        log.info("%s ended %s: exit codes %s", job.id, state, codes)
        session.emit(Exited(job.id, codes, cancelled=cancelled, reason=meaning.note))


async def fix_time_limit(session: SlurmSession, job: TrackedJob, row: QueueRow) -> None:
    """After a restart (or an extension while sbatch was under way) Slurm's limit may be
    short of what Orchid persisted: raise it."""
    job.check_limit = False
    if job.time_limit_ms is None or job.slurm_id is None:
        return
    wanted = commands.time_limit_minutes(job.time_limit_ms)
    if row.time_limit_minutes is not None and row.time_limit_minutes >= wanted:
        return
    try:
        await session.run(commands.extend_argv(session.options, job.slurm_id, job.time_limit_ms))
        log.info("%s Slurm time limit corrected to %d min", job.id, wanted)
    except CommandFailed as e:
        log.warning("%s cannot correct the Slurm time limit: %s", job.id, e.message)
