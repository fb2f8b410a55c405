"""The asyncio SDK: the same calls and guarantees as the blocking one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orchid.client import AsyncClient, NotFoundError, Unreachable
from orchid.domain.states import JobState
from orchid.schemas.jobs import JobIncludeFlags, JobSpecification
from tests.support import Server, free_port, job_spec


def spec(**kwargs: Any) -> JobSpecification:
    return JobSpecification.model_validate(job_spec(**kwargs))


async def _scenario(url: str, token: str) -> None:
    async with AsyncClient(url, token) as client:
        # Given two jobs, one quick and one that runs until terminated
        quick, slow = await client.create_many(
            [spec(script="echo quick", name="quick"), spec(script="sleep 30", hours=1)]
        )
        # When the quick one is followed, the stream ends on its final state with its output
        async with await client.follow(quick) as stream:
            logs = [entry.stdout async for message in stream for entry in message.log]
        assert logs == ["quick\n"] and stream.state is JobState.SUCCESS

        # Then browse, search and the page iterator see both jobs
        seen = [job.id async for job in client.jobs(page_size=1)]
        assert seen == [slow, quick]
        found = await client.search("quick")
        assert [job.id for job in found.items] == [quick]
        while (await client.retrieve(slow)).status.state is not JobState.RUNNING:
            await asyncio.sleep(0.02)
        running = await client.browse(JobIncludeFlags(filter_state=JobState.RUNNING))
        assert [job.id for job in running.items] == [slow]

        # And extend and terminate act on the slow one
        before = (await client.retrieve(slow)).status.expires_at
        assert before is not None
        await client.extend(slow, "1h")
        assert (await client.retrieve(slow)).status.expires_at == before + 3_600_000
        await client.terminate(slow)
        async with await client.follow(slow) as stream:
            async for _ in stream:
                pass
        assert stream.state is JobState.SUCCESS
        assert stream.last_status_text == "Your job has been cancelled!"

        # The catalog calls answer typed models
        assert [p.id for p in await client.products()] == [
            "example-compute",
            "example-compute-large",
        ]
        assert len(await client.applications()) == 4  # acme-web, jupyterlab, shell-script, sleep
        assert (await client.application("shell-script")).metadata.version == "1.0.0"
        assert "example" in (await client.retrieve_products()).products_by_provider
        with pytest.raises(NotFoundError):
            await client.retrieve("999999")
        with pytest.raises(NotFoundError):
            await anext(aiter(await client.follow("999999")))


def test_the_async_client_does_everything_the_blocking_one_does(server: Server) -> None:
    asyncio.run(_scenario(server.url, server.user("async").token))


def test_an_unreachable_server_is_unreachable_for_the_async_client() -> None:
    async def calls() -> None:
        async with AsyncClient(f"http://127.0.0.1:{free_port()}", "t") as client:
            with pytest.raises(Unreachable):
                await client.products()
            with pytest.raises(Unreachable):
                await client.follow("1")

    asyncio.run(calls())
