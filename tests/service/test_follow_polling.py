"""Live logs where inotify sees nothing (ranks on other nodes writing to a network filesystem):
the watcher's stat poll delivers new lines within a second."""

from __future__ import annotations

import asyncio

from orchid.service.follow import follow
from orchid.service.logs import LogWatcher
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.service.helpers import ALICE, asynchronous, create_one, running, shell
from tests.service.test_follow import Follower


@asynchronous
async def test_lines_that_inotify_cannot_see_arrive_within_a_second(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        # Given a watcher that gets no inotify events at all, only its stat poll
        watcher = LogWatcher(service.events.publish, poll_seconds=0.3, inotify=False)
        watcher.start()
        try:
            job_id = await create_one(service, shell("sleep 1000"))
            fake.start_job(job_id)
            # ... and a follower that would not look by itself for 30 s
            follower = Follower(follow(service, watcher, ALICE, job_id, idle_seconds=30))
            await follower.next()

            loop = asyncio.get_running_loop()
            for line in ("first\n", "second\n", "third\n"):
                # When a line is written behind Orchid's back
                written = loop.time()
                fake.write_log(job_id, line)

                # Then the follower has it within a second
                await follower.until(lambda f, line=line: f.logs().endswith(line), timeout=1.0)
                assert follower.logs().endswith(line)
                assert loop.time() - written < 1.0
            assert follower.logs() == "first\nsecond\nthird\n"
            await follower.close()
        finally:
            watcher.close()
