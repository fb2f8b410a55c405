"""Following a job in the terminal: its state changes, every replica's output, and Ctrl-C.

The job's stdout goes to our stdout and its stderr to our stderr (in red on a terminal), prefixed
with the rank when there are several replicas. State lines and progress go to stderr, so
`orchid run ... --follow > out.txt` captures exactly what the job printed.
"""

from __future__ import annotations

import sys
from typing import TextIO

import typer
from rich.text import Text

from orchid.cli import output
from orchid.cli.errors import ExitCode, exit_code_for
from orchid.cli.timefmt import clock
from orchid.cli.waiting import wait_final
from orchid.client import Client, FollowStream, exit_code
from orchid.domain.states import JobState
from orchid.schemas.jobs import Job, JobsFollowResponse, JobsLog, JobUpdate

_RANK_COLOURS = ("36", "35", "34", "33", "32", "96", "95", "94")  # ANSI foreground codes
_RED = "31"
TERMINATE_TIMEOUT = 120.0


def _ansi(code: str, text: str) -> str:
    return f"\x1b[{code}m{text}\x1b[0m"


class LogWriter:
    """Writes log chunks as they come, whole lines behind a rank prefix when there are replicas."""

    def __init__(self, replicas: int) -> None:
        self.prefixed = replicas > 1
        self.width = len(str(max(replicas - 1, 0)))
        self.partial: dict[tuple[int, str], str] = {}

    def write(self, entry: JobsLog) -> None:
        for stream, text in (("stdout", entry.stdout), ("stderr", entry.stderr)):
            if text:
                self._write(entry.rank, stream, text)

    def flush(self) -> None:
        """End every unfinished line (at the end of the stream)."""
        for (rank, stream), text in list(self.partial.items()):
            if text:
                self._emit(rank, stream, text + "\n")
        self.partial.clear()

    def _write(self, rank: int, stream: str, text: str) -> None:
        if not self.prefixed:
            self._emit(rank, stream, text)
            return
        text = self.partial.pop((rank, stream), "") + text
        *lines, rest = text.split("\n")
        if rest:
            self.partial[(rank, stream)] = rest
        if lines:
            self._emit(rank, stream, "".join(line + "\n" for line in lines))

    def _emit(self, rank: int, stream: str, text: str) -> None:
        file: TextIO = sys.stdout if stream == "stdout" else sys.stderr
        colour = output.colour_enabled(output.stdout() if stream == "stdout" else output.stderr())
        if self.prefixed:
            prefix = f"[{rank:>{self.width}}] "
            if colour:
                prefix = _ansi(_RANK_COLOURS[rank % len(_RANK_COLOURS)], prefix)
            body = text.splitlines(keepends=True)
            if colour and stream == "stderr":
                body = [_ansi(_RED, line.rstrip("\n")) + "\n" for line in body]
            text = "".join(prefix + line for line in body)
        elif colour and stream == "stderr":
            text = _ansi(_RED, text)
        file.write(text)
        file.flush()


class FollowPrinter:
    """Shows follow messages to a person: a header, the update timeline, logs, a queue spinner."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.logs = LogWriter(1)
        self.console = output.stderr()
        self.spinner = self.console.status(f"Job {job_id}: waiting in the queue...")
        self.spinning = False

    def show(self, message: JobsFollowResponse, stream: FollowStream) -> None:
        self._stop_spinner()
        if message.initial_job is not None:
            self._header(message.initial_job)
        for update in message.updates:
            self._update(update)
        for entry in message.log:
            self.logs.write(entry)
        if stream.state is JobState.IN_QUEUE:
            self.spinner.start()
            self.spinning = True

    def finish(self, stream: FollowStream) -> None:
        self.close()
        line = Text.assemble(f"Job {self.job_id} ended ", output.state_text(stream.state))
        code = exit_code(stream.last_status_text)
        if code is not None:
            line.append(f" (exit code {code})")
        elif stream.last_status_text:
            line.append(f": {stream.last_status_text}")
        self.console.print(line, soft_wrap=True)

    def close(self) -> None:
        self._stop_spinner()
        self.logs.flush()

    def _stop_spinner(self) -> None:
        if self.spinning:
            self.spinner.stop()
            self.spinning = False

    def _header(self, job: Job) -> None:
        spec = job.specification
        self.logs = LogWriter(spec.replicas)
        parts = [f"{spec.application.name} {spec.application.version}", spec.product.id]
        if spec.replicas > 1:
            parts.append(f"{spec.replicas} replicas")
        if spec.name:
            parts.insert(0, repr(spec.name))
        header = Text.assemble(
            ("Following job ", "bold"),
            (job.id, "bold"),
            f" ({', '.join(parts)})",
            (" - Ctrl-C to detach or terminate", "dim"),
        )
        self.console.print(header, soft_wrap=True)

    def _update(self, update: JobUpdate) -> None:
        if update.state is None and not update.status:
            return
        line = Text.assemble((clock(update.timestamp), "dim"), " ")
        if update.state is not None:
            line.append_text(output.state_text(update.state))
            line.append(" " * (10 - len(update.state.value)))
        line.append(update.status or "")
        self.console.print(line, soft_wrap=True)


def follow_job(client: Client, job_id: str, fmt: output.OutputFormat) -> ExitCode:
    """Follow `job_id` to its end and return the exit code its final state maps to.
    Ctrl-C offers to terminate the job (on a terminal) or detaches (otherwise)."""
    printer = FollowPrinter(job_id) if fmt is output.OutputFormat.HUMAN else None
    try:
        with client.follow(job_id) as stream:
            for message in stream:
                if printer is None:
                    output.print_json(message.model_dump(mode="json"), compact=True)
                else:
                    printer.show(message, stream)
    except KeyboardInterrupt:
        if printer is not None:
            printer.close()
        return interrupted(client, job_id)
    finally:
        if printer is not None:
            printer.close()
    if printer is not None:
        printer.finish(stream)
    return exit_code_for(stream.state)


def interrupted(client: Client, job_id: str) -> ExitCode:
    """After Ctrl-C: ask whether to terminate the job (on a terminal), else detach."""
    console = output.stderr()
    console.print()
    terminate = False
    if sys.stdin.isatty():
        try:
            terminate = typer.confirm(f"Terminate job {job_id}?", default=False, err=True)
        except (typer.Abort, KeyboardInterrupt, EOFError):
            terminate = False
    if not terminate:
        console.print(
            f"Detached from job {job_id}; it keeps running. "
            f"Follow it again with `orchid jobs follow {job_id}`.",
            soft_wrap=True,
            markup=False,
        )
        return ExitCode.INTERRUPTED
    client.terminate(job_id)
    (job,) = wait_final(
        client, [job_id], timeout=TERMINATE_TIMEOUT, what=f"Terminating job {job_id}..."
    )
    line = Text.assemble(f"Job {job_id} terminated: ", output.state_text(job.status.state))
    texts = [u.status for u in job.updates if u.status]
    if texts:
        line.append(f" ({texts[-1]})")
    console.print(line, soft_wrap=True)
    return ExitCode.INTERRUPTED
