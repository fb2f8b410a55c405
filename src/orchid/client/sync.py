"""`Client`: the blocking SDK (httpx for calls, websockets' sync client for follow)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from orchid.client import calls
from orchid.client.errors import Unreachable
from orchid.client.files import Files
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


class FollowStream:
    """An iterator of a job's follow messages (typed JobsFollowResponse), until the job has ended.

    Iteration stops normally only when the server ended the stream after the job's final state
    (and its last log chunks, which may come after that state); then `state` is that state. A lost connection, or an end before a final state, raises StreamBroken.
    An unknown job or a bad token raises the matching ApiError on the first `next()`.
    Close it (or use it as a context manager) when you stop early.
    """

    def __init__(self, socket: ClientConnection, closer: ExitStack, job_id: str) -> None:
        self._socket = socket
        self._closer = closer
        self._decoder = FollowDecoder(job_id)
        self.job_id = job_id

    @property
    def job(self) -> Job | None:
        """The job as it was when following started (from the first message)."""
        return self._decoder.job

    @property
    def status(self) -> JobStatus | None:
        """The job's latest status seen on the stream."""
        return self._decoder.status

    @property
    def state(self) -> JobState | None:
        """The job's latest state seen; final once the iteration ended without an exception."""
        return self._decoder.state

    @property
    def last_status_text(self) -> str | None:
        """The text of the newest update that had one (e.g. "Your job has completed (exit code 3)")."""
        return self._decoder.last_status_text

    def __iter__(self) -> FollowStream:
        return self

    def __next__(self) -> JobsFollowResponse:
        try:
            while not self._decoder.done:
                try:
                    text = self._socket.recv()
                except ConnectionClosed as exc:
                    raise self._decoder.broken(f"connection closed ({exc})") from None
                message = self._decoder.feed(text)
                if message is not None:
                    return message
        except BaseException:
            self.close()  # whatever ended the iteration (an error, Ctrl-C) ends the stream
            raise
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Stop following (the job is not affected)."""
        self._closer.close()

    def __enter__(self) -> FollowStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Client:
    """A blocking client for one Orchid server and one user's bearer token.

    Every method raises ApiError (a subclass per status, carrying `why` and `error_code`) when the
    server refuses, Unreachable when no answer came back, and ProtocolError when the answer is not
    Orchid's API. Use it as a context manager, or call `close()`.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )
        self.files = Files(self)
        """Drives and files: browse, mkdir, move, copy, trash, delete, upload, download."""

    def close(self) -> None:
        """Release the connection pool (open follow streams are closed separately)."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _send(self, call: calls.Call[T]) -> T:
        try:
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.body
            )
        except httpx.TransportError as exc:
            raise Unreachable(self.url, str(exc) or type(exc).__name__) from None
        except httpx.InvalidURL as exc:
            raise Unreachable(self.url, str(exc)) from None
        return call.result(response.status_code, response.content)

    # ---- Jobs ----

    def create(self, spec: JobSpecification) -> str:
        """Submit one job; returns its id."""
        return single_id(self.create_many([spec]))

    def create_many(self, specs: Sequence[JobSpecification]) -> list[str]:
        """Submit several jobs in one all-or-nothing request; returns their ids in order."""
        return self._send(calls.create(specs))

    def retrieve(
        self,
        job_id: str,
        *,
        include_updates: bool = False,
        include_product: bool = False,
        include_application: bool = False,
        include_parameters: bool = False,
        include_support: bool = False,
    ) -> Job:
        """One job. Raises NotFoundError for an unknown job or another user's."""
        flags = include_flags(
            updates=include_updates,
            product=include_product,
            application=include_application,
            parameters=include_parameters,
            support=include_support,
        )
        return self._send(calls.retrieve(job_id, flags))

    def output_folder(self, job_id: str) -> str:
        """The UCloud path of the job's output folder (its /work, in your Home drive). Raises
        NotFoundError for an unknown job, or one without an output folder."""
        return output_folder_of(self.retrieve(job_id))

    def job_output(self, job_id: str) -> list[UFile]:
        """What is in the job's output folder now (while it runs, and after it ended)."""
        return list(self.files.entries(self.output_folder(job_id)))

    def download_output(
        self, job_id: str, destination: str | os.PathLike[str], *, progress: Progress | None = None
    ) -> list[Path]:
        """Download the job's output folder, sub-folders included, into the local folder
        `destination`; returns the files written."""
        return self.files.download_folder(
            self.output_folder(job_id), destination, progress=progress
        )

    def browse(
        self,
        flags: JobIncludeFlags | None = None,
        *,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[Job]:
        """One page of the user's jobs, newest first, filtered and enriched by `flags`.
        Pass the page's `next` to get the following page; it is None on the last page."""
        return self._send(calls.browse(flags, items_per_page, next))

    def search(
        self,
        query: str,
        flags: JobIncludeFlags | None = None,
        *,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[Job]:
        """One page of the user's jobs matching a free-text `query`, like `browse`."""
        return self._send(calls.search(query, flags, items_per_page, next))

    def jobs(
        self,
        flags: JobIncludeFlags | None = None,
        *,
        query: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[Job]:
        """Every matching job, newest first, fetching pages as the iteration goes."""
        next_token: str | None = None
        while True:
            if query is None:
                page = self.browse(flags, items_per_page=page_size, next=next_token)
            else:
                page = self.search(query, flags, items_per_page=page_size, next=next_token)
            yield from page.items
            if page.next is None:
                return
            next_token = page.next

    def extend(self, job_id: str, time: Duration) -> None:
        """Move the job's deadline by `time` (a SimpleDuration, milliseconds, or "1h30m").
        Raises ValueError for a malformed duration before sending anything."""
        self.extend_many(extend_items({job_id: time}))

    def extend_many(self, items: Sequence[JobsExtendRequestItem]) -> None:
        """Extend several jobs (not atomic: the server applies the items one by one)."""
        self._send(calls.extend(items))

    def terminate(self, *job_ids: str) -> None:
        """Ask the jobs to stop. Idempotent: terminating a finished job is no error."""
        self._send(calls.terminate(job_ids))

    def follow(self, job_id: str, *, open_timeout: float | None = None) -> FollowStream:
        """Start following a job over the WebSocket: see FollowStream for the guarantees.
        Raises Unreachable when the WebSocket cannot be opened."""
        url = websocket_url(self.url)
        # Entered as a context manager, as websockets wants from 17.1 on (and accepts before).
        stack = ExitStack()
        try:
            socket = stack.enter_context(
                connect(url, open_timeout=open_timeout or self.timeout, max_size=MAX_FRAME_BYTES)
            )
            socket.send(request_frame(job_id, self.token))
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed) as exc:
            stack.close()
            raise Unreachable(self.url, str(exc) or type(exc).__name__) from None
        return FollowStream(socket, stack, job_id)

    def open_session(
        self, job_id: str, rank: int = 0, session_type: SessionType = "WEB"
    ) -> OpenSessionWithProvider:
        """jobs.openInteractiveSession for one rank: for WEB, `session.redirect_client_to` is the
        URL to open in a browser; for SHELL, `session.session_identifier` opens the shell
        WebSocket."""
        return self._send(calls.open_session(job_id, rank, session_type))

    def retrieve_products(self) -> SupportByProvider:
        """The products jobs may use, with what each provider supports for them."""
        return self._send(calls.retrieve_products())

    # ---- Catalog ----

    def application(self, name: str, version: str | None = None) -> ApplicationWithFavoriteAndTags:
        """One application; the newest version when `version` is None.
        Raises NotFoundError (errorCode UNKNOWN_APPLICATION) when there is no such application."""
        return self._send(calls.application(name, version))

    def browse_applications(
        self, *, items_per_page: int | None = None, next: str | None = None
    ) -> PageV2[Application]:
        """One page of the catalog's applications; `next` as for `browse`."""
        return self._send(calls.browse_applications(items_per_page, next))

    def applications(self) -> list[Application]:
        """Every application in the catalog (all pages)."""
        return self._all(lambda token: calls.browse_applications(PAGE_SIZE, token))

    def browse_products(
        self,
        *,
        provider: str | None = None,
        items_per_page: int | None = None,
        next: str | None = None,
    ) -> PageV2[ComputeProduct]:
        """One page of the products, optionally of one provider; `next` as for `browse`."""
        return self._send(calls.browse_products(provider, items_per_page, next))

    def products(self, provider: str | None = None) -> list[ComputeProduct]:
        """Every product (machine type), optionally of one provider (all pages)."""
        return self._all(lambda token: calls.browse_products(provider, PAGE_SIZE, token))

    def _all(self, call: calls.PageCall[T]) -> list[T]:
        items: list[T] = []
        next_token: str | None = None
        while True:
            page = self._send(call(next_token))
            items.extend(page.items)
            if page.next is None:
                return items
            next_token = page.next
