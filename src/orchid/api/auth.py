"""Bearer-token authentication. Tokens are looked up by their SHA-256 and cached in memory."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchid.errors import Unauthorized
from orchid.store.repository import Store

# An async dependency: a plain function would be run in a worker thread on every request.
_bearer = HTTPBearer(auto_error=False, description="A token from `orchid users create NAME`.")


class Authenticator:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, str] = {}

    def user_for(self, token: str | None) -> str:
        if not token:
            raise Unauthorized("missing bearer token (Authorization: Bearer <token>)", "NO_TOKEN")
        user = self._cache.get(token)
        if user is None:
            user = self._store.username_for_token(token)
            if user is None:
                raise Unauthorized("invalid bearer token", "INVALID_TOKEN")
            self._cache[token] = user
        return user


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    authenticator: Authenticator = request.app.state.auth
    return authenticator.user_for(credentials.credentials if credentials else None)


User = Annotated[str, Depends(current_user)]
