"""How a client command ends: its exit codes, and the one-line error that carries one."""

from __future__ import annotations

from enum import IntEnum

from orchid.domain.states import JobState


class ExitCode(IntEnum):
    """Exit codes of the client commands (`run --follow` and `jobs follow` use all of them)."""

    SUCCESS = 0
    ERROR = 1  # bad input, unknown app, unreachable server, refused token, lost stream
    USAGE = 2  # an option click could not parse (click's own code)
    FAILURE = 3  # the job ended FAILURE
    EXPIRED = 4  # the job ended EXPIRED
    INTERRUPTED = 130  # Ctrl-C (detached, or terminated on request)
    BROKEN_PIPE = 141  # whoever read our output stopped reading (as if killed by SIGPIPE)


def exit_code_for(state: JobState | None) -> ExitCode:
    if state is JobState.SUCCESS:
        return ExitCode.SUCCESS
    if state is JobState.EXPIRED:
        return ExitCode.EXPIRED
    return ExitCode.FAILURE if state is JobState.FAILURE else ExitCode.ERROR


class CliError(Exception):
    """A problem to report in one line (no traceback), with the exit code to leave with."""

    def __init__(self, message: str, code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.code = code
