"""Moving bytes for both clients: chunk plans, chunk headers, reading a chunk in pieces.

An upload sends the file in chunks of `chunk_size` bytes (UCloud's CHUNKED protocol); each chunk's
body is streamed from the file in pieces of `PIECE` bytes, so neither side holds a chunk in memory.
When a chunk's request fails on the way, the client asks the server where the upload stands and
resends from there (the server keeps what reached its disk).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import BinaryIO

from pydantic import ValidationError

from orchid.client.errors import ProtocolError, error_from_http
from orchid.schemas.files import UploadProgress

DEFAULT_CHUNK = 16_000_000
"""What UCloud's web client sends per chunk (the server accepts up to 32 MB by default)."""
PIECE = 1 << 20
RETRIES = 3

Progress = Callable[[int], None]
"""Called with the number of bytes just sent or received (for progress bars)."""


def chunk_headers(token: str, offset: int, total: int, length: int) -> dict[str, str]:
    return {
        "Chunked-Upload-Token": token,
        "Chunked-Upload-Offset": str(offset),
        "Chunked-Upload-Total-Size": str(total),
        "Content-Length": str(length),
        "Content-Type": "application/octet-stream",
    }


def pieces(
    source: BinaryIO, offset: int, length: int, progress: Progress | None
) -> Iterator[bytes]:
    """`length` bytes of `source` from `offset`, a piece at a time, reporting each one."""
    source.seek(offset)
    left = length
    while left > 0:
        piece = source.read(min(PIECE, left))
        if not piece:
            raise ProtocolError(f"the file shrank while it was being uploaded ({left} bytes short)")
        left -= len(piece)
        if progress is not None:
            progress(len(piece))
        yield piece


async def apieces(
    source: BinaryIO, offset: int, length: int, progress: Progress | None
) -> AsyncIterator[bytes]:
    """`pieces` for the asyncio client: each read runs in a worker thread."""
    reader = pieces(source, offset, length, progress)
    while True:
        piece = await asyncio.to_thread(next, reader, None)
        if piece is None:
            return
        yield piece


def read_progress(status: int, content: bytes) -> UploadProgress:
    """The server's answer to a chunk (or to where-does-it-stand)."""
    if status >= 400:
        raise error_from_http(status, content)
    try:
        return UploadProgress.model_validate(json.loads(content))
    except (ValueError, ValidationError):
        raise ProtocolError(f"the upload endpoint answered {status} with no progress") from None


def size_of(source: BinaryIO) -> int:
    """The size of a seekable binary file (uploads need it before the first chunk)."""
    here = source.tell()
    size = source.seek(0, 2)
    source.seek(here)
    return size


class Counter:
    """Reports progress and remembers how much it reported, so a resumed upload can take back
    what was sent but never reached the server's disk."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.reported = 0

    def __call__(self, count: int) -> None:
        self.reported += count
        if self.progress is not None:
            self.progress(count)

    def reset(self, offset: int) -> None:
        self(offset - self.reported)
