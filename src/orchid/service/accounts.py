"""Users, their bearer tokens and the Unix accounts they are mapped to (decision 10).

Tokens are stored as their SHA-256 only (see the store); a token seen once is remembered in memory,
so an authenticated request costs no database read after the first.
"""

from __future__ import annotations

from orchid.errors import NotFound, Unauthorized
from orchid.identity import accounts as unix
from orchid.identity.names import account_name
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

    def create_user(self, name: str, unix_user: str | None = None) -> str:
        """Create a user and return its first bearer token. With `unix_user`, the user's jobs
        run as (and its files belong to) that existing account.

        Raises Conflict if the user exists; UnknownAccount / RootAccount (nothing is stored) if
        the account does not exist or has uid 0."""
        if unix_user is not None:
            unix.lookup(unix_user)
        return self._store.create_user(name, now_ms(), unix_user)

    def unix_accounts(self) -> list[tuple[str, str]]:
        """Every user and the account its jobs run as, as this process sees it: the mapped
        account, else `orchid-<name>` (made on first use) when running as root, else this
        process's own account."""
        own = None if unix.running_as_root() else unix.service_identity().name
        return [
            (name, own or mapped or f"{account_name(name)} (created on first use)")
            for name, mapped in self._store.unix_users()
        ]

    def map_unix_user(self, name: str, unix_user: str) -> None:
        """Map an existing user to an existing Unix account. Raises NotFound (no such user),
        UnknownAccount or RootAccount; a refused mapping leaves the previous one in place."""
        unix.lookup(unix_user)
        if not self._store.set_unix_user(name, unix_user):
            raise NotFound(f"no user named {name!r}", "USER_NOT_FOUND")

    def create_token(self, name: str) -> str | None:
        """A new bearer token for an existing user; None when there is no such user."""
        return self._store.create_token(name, now_ms())
