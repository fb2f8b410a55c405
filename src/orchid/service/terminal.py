"""A shell process for a shell session: under a pseudo-terminal (tty) or on plain pipes.

The process starts in a session of its own (`setsid --ctty` makes the terminal its controlling
terminal, so job control and SIGWINCH work). Output is read on the event loop (no thread) and
handed on as text. `close()` hangs up the session and kills whatever of it is left, background
processes included, so nothing outlives the session.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import logging
import os
import signal
import struct
import subprocess
import termios
from collections.abc import Callable
from pathlib import Path

from orchid.providers.base import ShellCommand

log = logging.getLogger(__name__)

SETSID = "setsid"
READ_SIZE = 64 * 1024
HANGUP_GRACE_SECONDS = 1.0
DRAIN_SECONDS = 2.0


class Terminal:
    def __init__(
        self,
        command: ShellCommand,
        *,
        tty: bool,
        cols: int,
        rows: int,
        on_output: Callable[[str], None],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_output = on_output
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = b""
        self._eof = False
        self._closed = asyncio.Event()
        env = dict(command.env)
        if tty:
            master, slave = os.openpty()
            self._fd = master
            _set_size(slave, cols, rows)
            try:
                self._process = subprocess.Popen(
                    [SETSID, "--ctty", *command.argv],
                    stdin=slave,
                    stdout=slave,
                    stderr=slave,
                    cwd=command.cwd,
                    env=env,
                )
            finally:
                os.close(slave)
        else:
            self._process = subprocess.Popen(
                [SETSID, *command.argv],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=command.cwd,
                env=env,
            )
            assert self._process.stdout is not None and self._process.stdin is not None
            self._fd = self._process.stdout.fileno()
            self._in = self._process.stdin.fileno()
        self.tty = tty
        os.set_blocking(self._fd, False)
        if not tty:
            os.set_blocking(self._in, False)
        self._loop.add_reader(self._fd, self._readable)
        # The shell's end, seen without a thread: its pidfd turns readable.
        self._exited = asyncio.Event()
        self.exit_code = 0
        self._pidfd = os.pidfd_open(self._process.pid)
        self._loop.add_reader(self._pidfd, self._on_exit)

    def _on_exit(self) -> None:
        self._loop.remove_reader(self._pidfd)
        # Not reaped yet (WNOWAIT): while it is a zombie its pid, the id of its session, cannot
        # be reused, so close() signals only what the shell started.
        result = os.waitid(os.P_PIDFD, self._pidfd, os.WEXITED | os.WNOWAIT)
        os.close(self._pidfd)
        if result is not None and result.si_code == os.CLD_EXITED:
            self.exit_code = result.si_status
        elif result is not None:
            self.exit_code = 128 + result.si_status
        self._exited.set()

    @property
    def pid(self) -> int:
        return self._process.pid

    # ---- output ----

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: every end of the terminal is closed, the shell is gone
            data = b""
        if data:
            text = self._decoder.decode(data)
            if text:
                self._on_output(text)
            return
        self._loop.remove_reader(self._fd)
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self._on_output(tail)
        self._closed.set()

    async def wait(self) -> int:
        """Wait until the shell has ended and its output is read; its exit code (128+N when a
        signal N ended it)."""
        await self._exited.wait()
        # What it wrote before it ended is in the terminal or pipe: read to the end of it (a
        # background process that keeps the terminal open would hold that end back: not long).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), DRAIN_SECONDS)
        return self.exit_code

    # ---- input ----

    def write(self, text: str) -> None:
        """Send keystrokes (or lines) to the shell; what the terminal cannot take now is sent
        when it can."""
        if self._closed.is_set():
            return
        self._pending += text.encode("utf-8", errors="replace")
        self._flush()

    def end_input(self) -> None:
        """No more input (plain pipes only): once what was written is sent, the shell reads end
        of file."""
        if not self.tty:
            self._eof = True
            self._flush()

    def _flush(self) -> None:
        fd = self._fd if self.tty else self._in
        while self._pending:
            try:
                written = os.write(fd, self._pending)
            except BlockingIOError:
                self._loop.add_writer(fd, self._writable)
                return
            except OSError:
                self._pending = b""
                return
            self._pending = self._pending[written:]
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_writer(fd)
        if self._eof and self._process.stdin is not None and not self._process.stdin.closed:
            with contextlib.suppress(OSError):
                self._process.stdin.close()

    def _writable(self) -> None:
        self._flush()

    def pause_output(self) -> None:
        """Stop reading output (the client is slow); the shell blocks once the buffer is full."""
        if not self._closed.is_set():
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self._fd)

    def resume_output(self) -> None:
        if not self._closed.is_set():
            self._loop.add_reader(self._fd, self._readable)

    def resize(self, cols: int, rows: int) -> None:
        if self.tty and not self._closed.is_set():
            with contextlib.suppress(OSError):
                _set_size(self._fd, cols, rows)

    # ---- the end ----

    async def close(self) -> None:
        """Hang up: SIGHUP to the shell's session, SIGKILL to what is left after a grace period."""
        if not self._exited.is_set():
            _signal_session(self._process.pid, signal.SIGHUP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exited.wait(), HANGUP_GRACE_SECONDS)
        _signal_session(self._process.pid, signal.SIGKILL)
        await self._exited.wait()
        self._process.wait()  # reaped last: it has ended, this does not block
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self._fd)
        if not self.tty:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_writer(self._in)
        self._closed.set()
        if self.tty:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        else:
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _signal_session(sid: int, signum: int) -> None:
    """Signal every process of session `sid` (the shell and everything it started)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 3 and fields[3] == str(sid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signum)
