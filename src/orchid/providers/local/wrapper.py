"""Runs one replica and records its exit code: `python -I -S wrapper.py EXIT_FILE COMMAND [ARG...]`.

This file is executed as a script by Orchid's interpreter, once per replica, and imports nothing but
the standard library. It is the replica's process group leader and the parent of the command, so it
can collect the command's status and write it to EXIT_FILE (128+N when killed by signal N) however
long Orchid is away. The file is replaced atomically; the wrapper exits with the same code.

Stopping a job: Orchid sends SIGTERM to this process only, and it relays the signal to its whole
process group (the command and whatever it started). A POSIX sh wrapper (`trap : TERM; "$@"`) cannot
do this reliably: a SIGTERM sent to the group after the trap is set but before the command exists is
swallowed by the shell, and the command then runs until the SIGKILL. Here the relayed signals are
blocked from the moment the process exists (Orchid spawns it with them blocked), so one that arrives
before the command exists waits, and is relayed as soon as the command runs. The command itself
starts with default dispositions and an empty signal mask.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from types import FrameType

RELAYED = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
# The command gets the default action for these (Python itself ignores SIGPIPE and SIGXFSZ).
DEFAULTED = RELAYED | {signal.SIGPIPE, signal.SIGXFSZ}


def relay(signum: int, frame: FrameType | None) -> None:
    # Ignored while it is sent, so this process does not receive it again.
    signal.signal(signum, signal.SIG_IGN)
    try:
        os.killpg(0, signum)
    finally:
        signal.signal(signum, relay)


def run(command: list[str]) -> int:
    signal.pthread_sigmask(signal.SIG_BLOCK, RELAYED)
    for signum in RELAYED:
        signal.signal(signum, relay)
    try:
        pid = os.posix_spawnp(command[0], command, os.environ, setsigmask=(), setsigdef=DEFAULTED)
    except OSError as e:
        print(f"orchid: cannot start {command[0]!r}: {e.strerror}", file=sys.stderr, flush=True)
        return 127 if e.errno == errno.ENOENT else 126
    signal.pthread_sigmask(signal.SIG_UNBLOCK, RELAYED)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def record(exit_file: str, code: int) -> None:
    tmp = f"{exit_file}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{code}\n")
    os.replace(tmp, exit_file)


def main(argv: list[str]) -> None:
    exit_file, command = argv[1], argv[2:]
    code = run(command)
    record(exit_file, code)
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv)
