"""Download tokens: `createDownload` hands one out, a plain GET with it streams the file.

The token names a file, not a descriptor: every GET resolves the path inside its drive again (so a
file swapped for a link meanwhile is refused), and may ask for a byte range.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from orchid.errors import NotFound
from orchid.storage.tree import DriveTree


@dataclass(frozen=True)
class DownloadTicket:
    tree: DriveTree
    parts: tuple[str, ...]
    expires: float


class Downloads:
    def __init__(self, *, lifetime_seconds: float, capacity: int) -> None:
        self.lifetime_seconds = lifetime_seconds
        self.capacity = capacity
        self._tickets: dict[str, DownloadTicket] = {}

    def issue(self, tree: DriveTree, parts: tuple[str, ...]) -> str:
        now = time.monotonic()
        if len(self._tickets) >= self.capacity:
            self._tickets = {k: t for k, t in self._tickets.items() if t.expires > now}
            while len(self._tickets) >= self.capacity:  # still full: forget the oldest
                self._tickets.pop(next(iter(self._tickets)))
        token = secrets.token_hex(32)
        self._tickets[token] = DownloadTicket(tree, parts, now + self.lifetime_seconds)
        return token

    def redeem(self, token: str | None) -> DownloadTicket:
        ticket = self._tickets.get(token or "")
        if ticket is None or ticket.expires < time.monotonic():
            raise NotFound("unknown or expired download token", "DOWNLOAD_NOT_FOUND")
        return ticket
