"""A file response served from an open descriptor, with HTTP range requests.

Starlette's FileResponse does the HTTP part (Range, If-Range, 206/416, HEAD). It is handed
`/proc/self/fd/<n>`, which reopens exactly the inode the storage layer opened without following
any path (so a link swapped in after the check changes nothing), and the descriptor is closed when
the response ends, however it ends.
"""

from __future__ import annotations

import os

from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

CHUNK = 1024 * 1024


class DescriptorResponse(FileResponse):
    chunk_size = CHUNK

    def __init__(self, fd: int, filename: str) -> None:
        self.fd = fd
        st = os.fstat(fd)
        super().__init__(
            f"/proc/self/fd/{fd}",
            stat_result=st,
            filename=filename,
            media_type="application/octet-stream",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            os.close(self.fd)
