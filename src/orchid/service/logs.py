"""Reading job logs from disk: per-follower tails with their own offsets, and one inotify watcher
that turns file writes into job notifications.

Logs live in files, so a follower that joins late reads everything from offset 0 and then the live
tail; offsets make it impossible to lose or repeat a byte.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from inotify_simple import INotify, flags

from orchid.providers.base import LogFile

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class LogTail:
    """Reads one log file from where it left off, decoding UTF-8 across chunk boundaries."""

    def __init__(self, source: LogFile) -> None:
        self.source = source
        self.offset = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, limit: int = CHUNK) -> str:
        try:
            with open(self.source.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(limit)
        except FileNotFoundError:
            return ""
        self.offset += len(data)
        return self._decoder.decode(data)

    def iter_available(self) -> Iterator[str]:
        """Everything written so far, one chunk at a time (read when asked for); a character
        split across the end of the file waits for its remaining bytes."""
        while True:
            before = self.offset
            text = self.read()
            if self.offset == before:
                return
            if text:
                yield text

    def iter_all(self) -> Iterator[str]:
        """Everything, then what an unfinished character at the very end decodes to."""
        yield from self.iter_available()
        tail = self._decoder.decode(b"", final=True)
        if tail:
            yield tail


class LogWatcher:
    """One inotify instance for all watched job folders; a write in a folder publishes its job."""

    def __init__(self, publish: Callable[[str], None]) -> None:
        self._publish = publish
        self._inotify: INotify | None = None
        self._wd_to_job: dict[int, str] = {}
        self._job_to_wd: dict[str, int] = {}
        self._refs: Counter[str] = Counter()

    def start(self) -> None:
        self._inotify = INotify()
        asyncio.get_running_loop().add_reader(self._inotify.fileno(), self._on_readable)

    def close(self) -> None:
        if self._inotify is not None:
            asyncio.get_running_loop().remove_reader(self._inotify.fileno())
            self._inotify.close()
            self._inotify = None

    def watch(self, job_id: str, folder: Path) -> bool:
        """Start watching a job folder (reference counted). False if it cannot be watched, in
        which case the follower falls back to polling."""
        if self._inotify is None:
            return False
        if self._refs[job_id] == 0:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                wd = self._inotify.add_watch(
                    folder, flags.MODIFY | flags.CREATE | flags.CLOSE_WRITE
                )
            except OSError as exc:
                log.warning("%s cannot watch logs in %s: %s", job_id, folder, exc)
                return False
            self._wd_to_job[wd] = job_id
            self._job_to_wd[job_id] = wd
        self._refs[job_id] += 1
        return True

    def unwatch(self, job_id: str) -> None:
        if self._refs[job_id] <= 0:
            return
        self._refs[job_id] -= 1
        if self._refs[job_id] == 0:
            del self._refs[job_id]
            wd = self._job_to_wd.pop(job_id, None)
            if wd is not None:
                self._wd_to_job.pop(wd, None)
                if self._inotify is not None:
                    # OSError: the folder is gone, and the kernel already dropped the watch.
                    with contextlib.suppress(OSError):
                        self._inotify.rm_watch(wd)

    def _on_readable(self) -> None:
        assert self._inotify is not None
        jobs = {self._wd_to_job.get(event.wd) for event in self._inotify.read(timeout=0)}
        for job_id in jobs:
            if job_id is not None:
                self._publish(job_id)
