"""Users and their bearer tokens.

Tokens are stored as their SHA-256 only (see the store); a token seen once is remembered in memory,
so an authenticated request costs no database read after the first.
"""

from __future__ import annotations

from orchid.errors import Unauthorized
from orchid.service.clock import now_ms
from orchid.store.repository import Store


class Accounts:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, str] = {}

    def user_for(self, token: str | None) -> str:
        """The user a bearer token belongs to. Raises Unauthorized when it is missing or unknown."""
        if not token:
            raise Unauthorized("missing bearer token (Authorization: Bearer <token>)", "NO_TOKEN")
        user = self._cache.get(token)
        if user is None:
            user = self._store.username_for_token(token)
            if user is None:
                raise Unauthorized("invalid bearer token", "INVALID_TOKEN")
            self._cache[token] = user
        return user

    def has_users(self) -> bool:
        return bool(self._store.usernames())

    def create_user(self, name: str) -> str:
        """Create a user and return its first bearer token. Raises Conflict if it exists."""
        return self._store.create_user(name, now_ms())

    def create_token(self, name: str) -> str | None:
        """A new bearer token for an existing user; None when there is no such user."""
        return self._store.create_token(name, now_ms())
