"""The FastAPI application: the Jobs API, the catalog reads and the follow WebSocket on one port."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import orchid.web
from orchid import __version__
from orchid.api import (
    errors,
    follow_ws,
    openapi,
    routes_catalog,
    routes_files,
    routes_jobs,
    routes_sessions,
    shell_ws,
)
from orchid.api.content_type import JsonBodies
from orchid.api.guards import RequestGuards
from orchid.api.session_proxy import SessionProxy
from orchid.runtime import Runtime, build_runtime
from orchid.settings import Settings


def _say_goodbye_on_sigterm(loop: asyncio.AbstractEventLoop) -> None:
    """On SIGTERM, first end the follow streams with a frame that tells clients to reconnect,
    then hand the signal to the server's own handler (uvicorn: stop accepting, finish in-flight
    calls, close the sockets, shut down). Jobs keep running: stopping Orchid never stops them."""
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return  # not run by a server that handles SIGTERM itself

    def hand_over() -> None:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)
        signal.raise_signal(signal.SIGTERM)

    def on_sigterm() -> None:
        task = loop.create_task(follow_ws.farewell())
        task.add_done_callback(lambda _: hand_over())

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)


def create_app(settings: Settings | None = None, *, auto_migrate: bool = True) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime: Runtime = build_runtime(settings, auto_migrate=auto_migrate)
        app.state.runtime = runtime  # read through orchid.api.state.runtime_of
        await runtime.start()
        # SIGHUP reloads the application files (`orchid apps reload` sends it).
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, runtime.reload_catalog)
        _say_goodbye_on_sigterm(loop)
        # Everything allocated so far lives as long as the process: keep the collector from
        # re-scanning it (full collections otherwise pause requests for tens of milliseconds).
        gc.freeze()
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGHUP)
            await runtime.stop()

    app = FastAPI(
        title="Orchid",
        version=__version__,
        description=(
            "A compute-job orchestrator that speaks UCloud's Jobs API. Every call needs "
            "`Authorization: Bearer <token>`. `jobs.follow` is a WebSocket on `/api/jobs`: send "
            '`{"call": "jobs.follow", "streamId": "0", "payload": {"id": "<job>"}, '
            '"bearer": "<token>"}` and receive `{"type": "message", ...}` frames, then a final '
            '`{"type": "response", ...}`.'
        ),
        lifespan=lifespan,
    )
    app.add_middleware(JsonBodies)
    # Outermost: /sessions/ traffic goes to the application untouched by the API's middleware.
    app.add_middleware(SessionProxy)
    # Added last, so it runs first: a body is bounded and a bearer required before anything reads it.
    app.add_middleware(RequestGuards, max_body_bytes=settings.max_body_bytes)
    errors.install(app)
    app.include_router(routes_sessions.router)
    app.include_router(routes_jobs.router)
    app.include_router(routes_catalog.router)
    app.include_router(routes_files.router)
    app.include_router(follow_ws.router)
    app.include_router(shell_ws.router)
    orchid.web.mount(app)
    openapi.install(app)
    return app
