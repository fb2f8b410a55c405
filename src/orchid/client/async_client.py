"""`AsyncClient`: the asyncio SDK, the same calls and guarantees as `Client`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from orchid.client import calls
from orchid.client.async_files import AsyncFiles
from orchid.client.errors import Unreachable
from orchid.client.follow import FollowDecoder, request_frame, websocket_url
from orchid.client.options import (
    DEFAULT_TIMEOUT,
    MAX_FRAME_BYTES,
    PAGE_SIZE,
    Duration,
    extend_items,
    include_flags,
    single_id,
)
from orchid.client.outputs import output_folder_of
from orchid.client.transfer import Progress
from orchid.domain.states import JobState
from orchid.schemas.apps import Application, ApplicationWithFavoriteAndTags
from orchid.schemas.base import PageV2
from orchid.schemas.files import UFile
from orchid.schemas.jobs import (
    Job,
    JobIncludeFlags,
    JobsExtendRequestItem,
    JobsFollowResponse,
    JobSpecification,
    JobStatus,
)
from orchid.schemas.products import ComputeProduct, SupportByProvider
from orchid.schemas.sessions import OpenSessionWithProvider, SessionType

T = TypeVar("T")


class AsyncFollowStream:
    """The asyncio twin of FollowStream: `async for message in stream`, same guarantees."""

    def __init__(self, socket: ClientConnection, job_id: str) -> None:
        self._socket = socket
        self._decoder = FollowDecoder(job_id)
        self.job_id = job_id

    @property
    def job(self) -> Job | None:
        return self._decoder.job

    @property
    def status(self) -> JobStatus | None:
        return self._decoder.status

    @property
    def state(self) -> JobState | None:
        return self._decoder.state

    @property
    def last_status_text(self) -> str | None:
        return self._decoder.last_status_text

    def __aiter__(self) -> AsyncFollowStream:
        return self

    async def __anext__(self) -> JobsFollowResponse:
        try:
            while not self._decoder.done:
                try:
                    text = await self._socket.recv()
                except ConnectionClosed as exc:
                    raise self._decoder.broken(f"connection closed ({exc})") from None
                message = self._decoder.feed(text)
                if message is not None:
                    return message
        except BaseException:
            await self.aclose()
            raise
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        await self._socket.close()

    async def __aenter__(self) -> AsyncFollowStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class AsyncClient:
    """An asyncio client; every method is the coroutine version of the same `Client` method and
    raises the same exceptions. Use it as an async context manager, or await `aclose()`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )
        self.files = AsyncFiles(self)
        """Drives and files, as `Client.files`."""

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _send(self, call: calls.Call[T]) -> T:
        try:
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.body
            )
        except httpx.TransportError as exc:
            raise Unreachable(self.url, str(exc) or type(exc).__name__) from None
        except httpx.InvalidURL as exc:
            raise Unreachable(self.url, str(exc)) from None
        return call.result(response.status_code, response.content)

    async def create(self, spec: JobSpecification) -> str:
        return single_id(await self.create_many([spec]))

    async def create_many(self, specs: Sequence[JobSpecification]) -> list[str]:
        return await self._send(calls.create(specs))

    async def retrieve(
        self,
        job_id: str,
        *,
        include_updates: bool = False,
        include_product: bool = False,
        include_application: bool = False,
        include_parameters: bool = False,
        include_support: bool = False,
    ) -> Job:
        flags = include_flags(
            updates=include_updates,
            product=include_product,
            application=include_application,
            parameters=include_parameters,
            support=include_support,
        )
        return await self._send(calls.retrieve(job_id, flags))

    async def output_folder(self, job_id: str) -> str:
        """The UCloud path of the job's output folder (its /work, in your Home drive). Raises
        NotFoundError for an unknown job, or one without an output folder."""
        return output_folder_of(await self.retrieve(job_id))

    async def job_output(self, job_id: str) -> list[UFile]:
        """What is in the job's output folder now (while it runs, and after it ended)."""
        return [entry async for entry in self.files.entries(await self.output_folder(job_id))]

    async def download_output(
        self, job_id: str, destination: str | os.PathLike[str], *, progress: Progress | None = None
    ) -> list[Path]:
        """Download the job's output folder, sub-folders included, into the local folder
        `destination`; returns the files written."""
        return await self.files.download_folder(
            await self.output_folder(job_id), destination, progress=progress
        )

    async def browse(
        self,
        flags: JobIncludeFlags | None = None,
        *,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[Job]:
        return await self._send(calls.browse(flags, items_per_page, next))

    async def search(
        self,
        query: str,
        flags: JobIncludeFlags | None = None,
        *,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[Job]:
        return await self._send(calls.search(query, flags, items_per_page, next))

    async def jobs(
        self,
        flags: JobIncludeFlags | None = None,
        *,
        query: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[Job]:
        next_token: str | None = None
        while True:
            if query is None:
                page = await self.browse(flags, items_per_page=page_size, next=next_token)
            else:
                page = await self.search(query, flags, items_per_page=page_size, next=next_token)
            for job in page.items:
                yield job
            if page.next is None:
                return
            next_token = page.next

    async def extend(self, job_id: str, time: Duration) -> None:
        await self.extend_many(extend_items({job_id: time}))

    async def extend_many(self, items: Sequence[JobsExtendRequestItem]) -> None:
        await self._send(calls.extend(items))

    async def terminate(self, *job_ids: str) -> None:
        await self._send(calls.terminate(job_ids))

    async def follow(self, job_id: str, *, open_timeout: float | None = None) -> AsyncFollowStream:
        url = websocket_url(self.url)
        try:
            socket = await connect(
                url, open_timeout=open_timeout or self.timeout, max_size=MAX_FRAME_BYTES
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise Unreachable(self.url, str(exc) or type(exc).__name__) from None
        try:
            await socket.send(request_frame(job_id, self.token))
        except ConnectionClosed as exc:
            await socket.close()
            raise Unreachable(self.url, f"connection closed ({exc})") from None
        return AsyncFollowStream(socket, job_id)

    async def open_session(
        self, job_id: str, rank: int = 0, session_type: SessionType = "WEB"
    ) -> OpenSessionWithProvider:
        """jobs.openInteractiveSession for one rank: for WEB, `session.redirect_client_to` is the
        URL to open in a browser; for SHELL, `session.session_identifier` opens the shell
        WebSocket."""
        return await self._send(calls.open_session(job_id, rank, session_type))

    async def retrieve_products(self) -> SupportByProvider:
        return await self._send(calls.retrieve_products())

    async def application(
        self, name: str, version: str | None = None
    ) -> ApplicationWithFavoriteAndTags:
        return await self._send(calls.application(name, version))

    async def browse_applications(
        self, *, items_per_page: int | None = None, next: str | None = None
    ) -> PageV2[Application]:
        return await self._send(calls.browse_applications(items_per_page, next))

    async def applications(self) -> list[Application]:
        return await self._all(lambda token: calls.browse_applications(PAGE_SIZE, token))

    async def browse_products(
        self,
        *,
        provider: str | None = None,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[ComputeProduct]:
        return await self._send(calls.browse_products(provider, items_per_page, next))

    async def products(self, provider: str | None = None) -> list[ComputeProduct]:
        return await self._all(lambda token: calls.browse_products(provider, PAGE_SIZE, token))

    async def _all(self, call: calls.PageCall[T]) -> list[T]:
        items: list[T] = []
        next_token: str | None = None
        while True:
            page = await self._send(call(next_token))
            items.extend(page.items)
            if page.next is None:
                return items
            next_token = page.next
