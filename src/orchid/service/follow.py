"""jobs.follow: the whole job first, then every new update, status change and log chunk, until the
job is final.

While the job runs, its logs are drained completely before a final state is sent. A job that is
already final when following begins is described by the first message (its snapshot); its logs
follow, then the stream ends. Each file is read in order, so a rank's stdout and stderr each arrive
in order, but not interleaved as they were written (they are separate files)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from orchid.schemas.jobs import JobIncludeFlags, JobsFollowResponse, JobsLog
from orchid.service.jobs import JobService
from orchid.service.logs import LogTail, LogWatcher
from orchid.service.views import update_view

# Without inotify (or on a filesystem it cannot watch) followers poll at this interval.
POLL_SECONDS = 0.05


def _log_messages(tails: list[LogTail], *, drain: bool) -> Iterator[JobsFollowResponse]:
    """One message per chunk (at most logs.CHUNK bytes), read lazily: the next chunk is read
    only once the previous message has been taken, so a follower of a huge log (or one that
    does not read) holds one chunk in memory, not the log."""
    for tail in tails:
        chunks = tail.iter_all() if drain else tail.iter_available()
        for text in chunks:
            if text:
                entry = JobsLog(rank=tail.source.rank, **{tail.source.stream: text})
                yield JobsFollowResponse(log=[entry])


async def follow(
    service: JobService,
    watcher: LogWatcher,
    user: str,
    job_id: str,
    *,
    idle_seconds: float,
) -> AsyncIterator[JobsFollowResponse | None]:
    """Yield follow messages for one job; yields None after `idle_seconds` without any (so the
    caller can send a keep-alive). Raises NotFound before yielding anything if the job is not the
    user's."""
    record = service.owned(user, job_id)
    subscription = service.subscribe(job_id)
    provider = service.provider_of(record)
    tails = [LogTail(f) for f in provider.log_files(job_id, record.replicas)] if provider else []
    watched = bool(tails) and watcher.watch(job_id, tails[0].source.path.parent)
    wait_seconds = idle_seconds if watched else POLL_SECONDS
    try:
        # Subscribed before the snapshot, so no change between the two can be missed.
        record = service.owned(user, job_id)
        flags = JobIncludeFlags()
        yield JobsFollowResponse(
            initial_job=service.view(record, flags),
            updates=[update_view(u) for u in record.updates],
            new_status=service.status_view(record, flags),
        )
        sent_updates = len(record.updates)
        sent_status = service.status_view(record, flags)
        idle = 0.0
        while True:
            record = service.owned(user, job_id)
            final = record.state.is_final
            sent_any = False
            for message in _log_messages(tails, drain=final):
                sent_any = True
                yield message
                # A fast reader never makes the send wait: let other calls run between chunks.
                await asyncio.sleep(0)
            status = service.status_view(record, flags)
            new_updates = record.updates[sent_updates:]
            if new_updates or status != sent_status:
                sent_any = True
                yield JobsFollowResponse(
                    updates=[update_view(u) for u in new_updates],
                    new_status=status if status != sent_status else None,
                )
                sent_updates = len(record.updates)
                sent_status = status
            if final:
                return
            if sent_any:
                idle = 0.0
            elif idle >= idle_seconds:
                idle = 0.0
                yield None
            changed = await subscription.wait(wait_seconds)
            if not changed:
                idle += wait_seconds
    finally:
        subscription.close()
        if watched:
            watcher.unwatch(job_id)
