"""Reading job logs from disk: per-follower tails with their own offsets, and one inotify watcher
that turns file writes into job notifications.

Logs live in files, so a follower that joins late reads everything from offset 0 and then the live
tail; offsets make it impossible to lose or repeat a byte.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import errno
import logging
import os
import stat
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
        # The folder may belong to the job's account (Slurm): never follow a link it planted
        # there, never block on a FIFO; anything but a regular file reads as nothing.
        try:
            fd = os.open(self.source.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except (FileNotFoundError, NotADirectoryError):
            return ""
        except OSError as error:
            if error.errno == errno.ELOOP:
                return ""
            raise
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return ""
            f.seek(self.offset)
            data = f.read(limit)
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
    """Turns writes to watched job folders into job notifications (`publish(job_id)`).

    Two sources, one for each kind of filesystem: one inotify instance for all folders (instant,
    local writes only), and one stat poll for all folders every `poll_seconds` (sizes and mtimes
    of the folder's files), which sees what inotify cannot: ranks on other nodes writing to a
    network filesystem (Slurm). A folder's first poll always notifies, so nothing written
    between a follower's first read and the first poll waits for a later write.
    """

    def __init__(
        self, publish: Callable[[str], None], *, poll_seconds: float = 0.5, inotify: bool = True
    ) -> None:
        self._publish = publish
        self._poll_seconds = poll_seconds
        self._use_inotify = inotify
        self._inotify: INotify | None = None
        self._poller: asyncio.Task[None] | None = None
        self._wd_to_job: dict[int, str] = {}
        self._job_to_wd: dict[str, int] = {}
        self._folders: dict[str, Path] = {}
        self._seen: dict[str, _Snapshot] = {}
        self._refs: Counter[str] = Counter()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._use_inotify:
            try:
                self._inotify = INotify()
            except OSError as exc:  # out of inotify instances: the poll still works
                log.warning("inotify is not available, polling logs only: %s", exc)
            else:
                loop.add_reader(self._inotify.fileno(), self._on_readable)
        self._poller = loop.create_task(self._poll())

    def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        if self._inotify is not None:
            asyncio.get_running_loop().remove_reader(self._inotify.fileno())
            self._inotify.close()
            self._inotify = None

    def watch(self, job_id: str, folder: Path) -> bool:
        """Start watching a job folder (reference counted). False if the watcher is not running,
        in which case the follower polls by itself."""
        if self._poller is None:
            return False
        if self._refs[job_id] == 0:
            self._folders[job_id] = folder
            self._seen.pop(job_id, None)
            if self._inotify is not None:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    wd = self._inotify.add_watch(
                        folder, flags.MODIFY | flags.CREATE | flags.CLOSE_WRITE
                    )
                except OSError as exc:
                    log.warning("%s cannot watch logs in %s (polling): %s", job_id, folder, exc)
                else:
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
            self._folders.pop(job_id, None)
            self._seen.pop(job_id, None)
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

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            if not self._folders:
                continue
            folders = dict(self._folders)
            try:
                # In a thread: a stat on a network filesystem can stall.
                snapshots = await asyncio.to_thread(_scan_all, folders)
            except Exception:
                log.exception("polling log folders failed")
                continue
            for job_id, snapshot in snapshots.items():
                if job_id not in self._folders:
                    continue  # unwatched meanwhile
                if job_id not in self._seen or self._seen[job_id] != snapshot:
                    self._seen[job_id] = snapshot
                    self._publish(job_id)


# A folder's files as (name, size, mtime in ns); None when it cannot be read.
_Snapshot = frozenset[tuple[str, int, int]] | None


def _scan(folder: Path) -> _Snapshot:
    try:
        with os.scandir(folder) as entries:
            found = set()
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    found.add((entry.name, st.st_size, st.st_mtime_ns))
            return frozenset(found)
    except OSError:
        return None


def _scan_all(folders: dict[str, Path]) -> dict[str, _Snapshot]:
    return {job_id: _scan(folder) for job_id, folder in folders.items()}
