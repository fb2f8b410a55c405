"""The browser UI: static files (no build step) served by the API's own process and port.

`GET /` answers the single page; its modules, styles and icon live under `/ui/`. The UI talks to
the public API only, like any other client. Nothing here imports the rest of Orchid.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"


class _Revalidated(StaticFiles):
    """Static files the browser must revalidate (a cheap 304), so an upgraded Orchid never runs
    with yesterday's modules: ES modules carry no version in their names."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount(app: FastAPI) -> None:
    """Serve the UI at `/` and its assets at `/ui/`, leaving `/api/`, `/docs` and `/openapi.json`
    to the API."""
    app.mount("/ui", _Revalidated(directory=STATIC), name="ui")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
