"""Bearer-token authentication, as a FastAPI dependency (the accounts service checks the token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchid.api.state import runtime_of

# An async dependency: a plain function would be run in a worker thread on every request.
_bearer = HTTPBearer(auto_error=False, description="A token from `orchid users create NAME`.")


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    return runtime_of(request.app).accounts.user_for(
        credentials.credentials if credentials else None
    )


User = Annotated[str, Depends(current_user)]
