"""Which Unix account a user's jobs run as and their files belong to (decision 10).

- Orchid runs as root: the account the operator mapped the user to (`orchid users map`), or else
  the account Orchid keeps for the user (`orchid-<name>`, identity/names.py), created on first use.
- Orchid runs as another account: that account, for every user; the sandbox alone keeps users'
  jobs apart.

Never uid 0: a mapped account that has come to resolve to uid 0 or disappeared, or an account that
cannot be created, raises AccountUnavailable (403 UNIX_ACCOUNT_UNAVAILABLE), and nothing runs.
An answer is remembered for `ttl_seconds` (2 s), which keeps the database and the account database
off every job create and file operation; `orchid users map` on a running server (or an account
removed) counts from then on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from orchid.domain.sandbox import UnixIdentity
from orchid.errors import BadRequest
from orchid.identity import accounts as unix
from orchid.store.repository import Store


class Identities:
    def __init__(
        self,
        store: Store,
        *,
        as_root: Callable[[], bool] = unix.running_as_root,
        ttl_seconds: float = 2.0,
    ) -> None:
        self._store = store
        self._as_root = as_root
        self._ttl = ttl_seconds
        self._known: dict[str, tuple[UnixIdentity, float]] = {}
        self._lock = threading.Lock()

    def known(self, user: str) -> UnixIdentity | None:
        """The account `user` resolved to less than `ttl_seconds` ago, or None. Never blocks."""
        with self._lock:
            found = self._known.get(user)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def of(self, user: str) -> UnixIdentity:
        """The account `user`'s jobs run as, created if it is Orchid's to create. Blocking (a
        useradd the first time): call it off the event loop. Raises AccountUnavailable."""
        found = self.known(user)
        if found is not None:
            return found
        identity = self._resolve(user)
        with self._lock:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[user] = (identity, time.monotonic() + self._ttl)
        return identity

    def _resolve(self, user: str) -> UnixIdentity:
        if not self._as_root():
            return unix.service_identity()
        _, mapped = self._store.unix_user_of(user)
        if mapped is None:
            return unix.ensure_account(user)
        try:
            return unix.lookup(mapped)
        except BadRequest as error:
            raise unix.AccountUnavailable(
                f"user {user!r} is mapped to an unusable Unix account: {error.why}"
            ) from error
