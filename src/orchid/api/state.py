"""What the application keeps on `app.state`: one typed `Runtime`, set while the app runs."""

from __future__ import annotations

from starlette.applications import Starlette

from orchid.runtime import Runtime


def runtime_of(app: Starlette) -> Runtime:
    """The running application's runtime (set by the lifespan in `orchid.api.app`)."""
    runtime: Runtime = app.state.runtime
    return runtime
