"""jobs.follow at the service level: the `follow` generator over a real store, the fake provider's
log files in tmp_path, and the real inotify LogWatcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import pytest

from orchid.domain import states
from orchid.domain.states import JobState
from orchid.errors import NotFound
from orchid.schemas.jobs import JobsFollowResponse
from orchid.service.follow import follow
from orchid.service.jobs import JobService
from orchid.service.logs import CHUNK, LogWatcher
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.service.helpers import ALICE, BOB, asynchronous, create_one, job, running, shell

Stream = AsyncIterator[JobsFollowResponse | None]


@contextmanager
def log_watcher(service: JobService, *, started: bool = True) -> Iterator[LogWatcher]:
    """The inotify watcher `orchid serve` runs (must be used inside the event loop)."""
    watcher = LogWatcher(service.events.publish)
    if started:
        watcher.start()
    try:
        yield watcher
    finally:
        watcher.close()


class Follower:
    """Pulls messages from a follow stream and keeps what it got."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.messages: list[JobsFollowResponse | None] = []
        self.ended = False

    async def next(self, timeout: float = 2.0) -> JobsFollowResponse | None:
        message = await asyncio.wait_for(anext(self.stream), timeout)
        self.messages.append(message)
        return message

    async def until(self, condition: Callable[[Follower], bool], timeout: float = 2.0) -> None:
        """Pull messages until `condition` holds (or the stream ends)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition(self):
            try:
                await self.next(max(0.0, deadline - loop.time()))
            except StopAsyncIteration:
                self.ended = True
                return

    async def close(self) -> None:
        """Stop following (runs the generator's cleanup: unsubscribe, unwatch)."""
        if isinstance(self.stream, AsyncGenerator):
            await self.stream.aclose()

    async def to_the_end(self, timeout: float = 2.0) -> None:
        await self.until(lambda f: f.ended, timeout)

    def logs(self, stream: str = "stdout", rank: int = 0) -> str:
        return "".join(
            getattr(entry, stream) or ""
            for m in self.messages
            if m is not None
            for entry in m.log
            if entry.rank == rank
        )

    def states(self) -> list[JobState]:
        return [m.new_status.state for m in self.messages if m is not None and m.new_status]

    def updates(self) -> list[tuple[JobState | None, str | None]]:
        return [(u.state, u.status) for m in self.messages if m is not None for u in m.updates]


@asynchronous
async def test_a_follower_gets_the_job_every_change_and_every_log_line_once(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        with log_watcher(service) as watcher:
            # Given a queued job that has already written to stdout and stderr
            job_id = await create_one(service, shell("sleep 1000", hours=1))
            fake.write_log(job_id, "line 1\n")
            fake.write_log(job_id, "warning 1\n", stream="stderr")

            # When alice follows it
            follower = Follower(follow(service, watcher, ALICE, job_id, idle_seconds=5))
            try:
                # Then the first message is the whole job and its status
                first = await follower.next()
                assert first is not None and first.initial_job is not None
                assert first.initial_job.id == job_id
                assert first.initial_job.status.state == JobState.IN_QUEUE
                assert first.new_status is not None
                assert first.new_status.state == JobState.IN_QUEUE
                assert [(u.state, u.status) for u in first.updates] == [
                    (JobState.IN_QUEUE, states.STATUS_QUEUED)
                ]

                # ... then what was written before she joined
                await follower.until(
                    lambda f: f.logs() == "line 1\n" and f.logs("stderr") == "warning 1\n"
                )

                # When the job starts, she sees the new state
                fake.start_job(job_id)
                await follower.until(lambda f: JobState.RUNNING in f.states())

                # ... and lines written now arrive live
                fake.write_log(job_id, "line 2\n")
                await follower.until(lambda f: f.logs() == "line 1\nline 2\n")

                # When the job writes a last line and exits at once
                fake.write_log(job_id, "line 3\n")
                fake.exit_job(job_id, {0: 0})
                await follower.to_the_end()
            finally:
                await follower.close()

            # Then the stream ended, after every line exactly once and in order
            assert follower.ended
            assert follower.logs() == "line 1\nline 2\nline 3\n"
            assert follower.logs("stderr") == "warning 1\n"
            # ... every update exactly once, in order, as stored
            assert follower.updates() == [(u.state, u.status) for u in job(service, job_id).updates]
            assert follower.states() == [JobState.IN_QUEUE, JobState.RUNNING, JobState.SUCCESS]
            # ... with the final state last, after the logs were drained
            last = follower.messages[-1]
            assert last is not None and last.new_status is not None
            assert last.new_status.state == JobState.SUCCESS
            assert last.log == []
            assert None not in follower.messages
            assert sum(m is not None and m.initial_job is not None for m in follower.messages) == 1


@asynchronous
async def test_following_a_finished_job_replays_its_logs_and_ends(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        with log_watcher(service) as watcher:
            job_id = await create_one(service, shell())
            fake.start_job(job_id)
            fake.write_log(job_id, "all\ndone\n")
            fake.write_log(job_id, "ünïcødé\n", rank=0, stream="stderr")
            fake.exit_job(job_id, {0: 3})

            follower = Follower(follow(service, watcher, ALICE, job_id, idle_seconds=5))
            await follower.to_the_end()

            first = follower.messages[0]
            assert first is not None and first.initial_job is not None
            assert first.initial_job.status.state == JobState.SUCCESS
            assert follower.logs() == "all\ndone\n"
            assert follower.logs("stderr") == "ünïcødé\n"
            assert follower.updates()[-1] == (
                JobState.SUCCESS,
                "Your job has completed (exit code 3)",
            )


@asynchronous
async def test_an_idle_stream_yields_a_keep_alive(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        with log_watcher(service) as watcher:
            job_id = await create_one(service, shell("sleep 1000"))
            follower = Follower(follow(service, watcher, ALICE, job_id, idle_seconds=0.2))
            try:
                await follower.next()

                # When nothing happens for idle_seconds, a None (keep-alive) is yielded
                loop = asyncio.get_running_loop()
                began = loop.time()
                assert await follower.next(timeout=2) is None
                assert loop.time() - began >= 0.2

                # ... and the stream carries on with the next change
                fake.start_job(job_id)
                await follower.until(lambda f: JobState.RUNNING in f.states())
            finally:
                await follower.close()
            assert not follower.ended


@asynchronous
async def test_without_inotify_a_follower_polls_and_still_gets_every_line(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        # Given a watcher that cannot watch anything (as on a filesystem without inotify)
        with log_watcher(service, started=False) as watcher:
            job_id = await create_one(service, shell("sleep 1000"))
            fake.start_job(job_id)
            follower = Follower(follow(service, watcher, ALICE, job_id, idle_seconds=5))
            await follower.next()

            fake.write_log(job_id, "polled\n")
            await follower.until(lambda f: f.logs() == "polled\n")
            fake.exit_job(job_id, {0: 0})
            await follower.to_the_end()

            assert follower.logs() == "polled\n"
            assert follower.states()[-1] == JobState.SUCCESS


@asynchronous
async def test_nobody_follows_another_users_job(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        with log_watcher(service) as watcher:
            job_id = await create_one(service, shell(), user=ALICE)

            with pytest.raises(NotFound):
                await anext(follow(service, watcher, BOB, job_id, idle_seconds=5))
            with pytest.raises(NotFound):
                await anext(follow(service, watcher, ALICE, "999999", idle_seconds=5))
            assert not service.events.has_subscribers(job_id)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@asynchronous
async def test_a_late_follower_gets_a_large_backlog_without_waiting(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        with log_watcher(service) as watcher:
            # Given a running job that has already written three chunks' worth of output
            job_id = await create_one(service, shell("yes", hours=1))
            fake.start_job(job_id)
            backlog = "y\n" * (3 * CHUNK // 2 + 100)
            fake.write_log(job_id, backlog)

            # When alice joins, with a keep-alive interval much longer than the wait below
            follower = Follower(follow(service, watcher, ALICE, job_id, idle_seconds=30))
            try:
                await follower.next()
                # Then all of it arrives promptly (the job writes nothing more to wake her up)
                with contextlib.suppress(TimeoutError):
                    await follower.until(lambda f: len(f.logs()) >= len(backlog), timeout=2)
            finally:
                await follower.close()
            received = len(follower.logs())
            assert received == len(backlog), f"{received} of {len(backlog)} characters in 2 s"
            assert follower.logs() == backlog
