"""The jobs.follow stream, sans-I/O: the request frame, and a decoder for the frames that come back.

The decoder guarantees what the SDK promises about follow: messages come out typed, keep-alives are
swallowed, an error answer becomes an `ApiError`, and the stream counts as finished only when the
server ended it *after* a final state. Anything else (a close, a clean end before a final state) is
`StreamBroken`, so a dropped connection never looks like a finished job.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from orchid.client.errors import ProtocolError, StreamBroken, api_error
from orchid.domain.states import JobState
from orchid.schemas.jobs import Job, JobsFollowResponse, JobStatus, JobUpdate

STREAM_ID = "0"
_EXIT_CODE = re.compile(r"\(exit code (-?\d+)\)")


def websocket_url(base_url: str) -> str:
    """ws(s)://HOST/PREFIX/api/jobs for an http(s)://HOST/PREFIX base URL."""
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/") + "/api/jobs"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def request_frame(job_id: str, token: str) -> str:
    """The client's one frame that starts following `job_id`."""
    return json.dumps(
        {"call": "jobs.follow", "streamId": STREAM_ID, "payload": {"id": job_id}, "bearer": token}
    )


def exit_code(status_text: str | None) -> int | None:
    """The application's exit code in a SUCCESS update text ("... (exit code 3)"), if there is one."""
    match = _EXIT_CODE.search(status_text or "")
    return int(match.group(1)) if match else None


class FollowDecoder:
    """Reads the server's frames of one follow stream and keeps track of the job.

    After the stream ended normally, `done` is true and `state` is final. `job` is the snapshot of
    the first message; `status` and `updates` stay current with every message.
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.job: Job | None = None
        self.status: JobStatus | None = None
        self.updates: list[JobUpdate] = []
        self.done = False

    @property
    def state(self) -> JobState | None:
        return self.status.state if self.status is not None else None

    @property
    def final(self) -> bool:
        return self.state is not None and self.state.is_final

    @property
    def last_status_text(self) -> str | None:
        texts = [u.status for u in self.updates if u.status]
        return texts[-1] if texts else None

    def feed(self, text: str | bytes) -> JobsFollowResponse | None:
        """One frame in: the message it carries, or None (a keep-alive, or the end: see `done`).

        Raises ApiError when the server refused the stream (unknown job, bad token), StreamBroken
        when it ended the stream before a final state, ProtocolError for a frame it cannot read.
        """
        try:
            frame = json.loads(text)
        except ValueError:
            raise ProtocolError(f"follow of job {self.job_id}: a frame is not JSON") from None
        if not isinstance(frame, dict) or frame.get("streamId", STREAM_ID) != STREAM_ID:
            return None  # {"ping": "pong"}, or another stream's frame
        kind = frame.get("type")
        if kind == "response":
            self._end(frame)
            return None
        if kind != "message":
            return None
        try:
            message = JobsFollowResponse.model_validate(frame.get("payload"))
        except ValidationError as exc:
            raise ProtocolError(f"follow of job {self.job_id}: unreadable message: {exc}") from None
        self._track(message)
        return message

    def broken(self, reason: str) -> StreamBroken:
        """The exception for a stream that stopped without its end frame."""
        return StreamBroken(self.job_id, reason)

    def _track(self, message: JobsFollowResponse) -> None:
        if message.initial_job is not None:
            self.job = message.initial_job
            if self.status is None:
                self.status = message.initial_job.status
        if message.new_status is not None:
            self.status = message.new_status
        self.updates.extend(message.updates)

    def _end(self, frame: dict[str, object]) -> None:
        status = frame.get("status")
        if status != 200:
            code = status if isinstance(status, int) else 500
            raise api_error(code, frame.get("payload"))
        if not self.final:
            raise self.broken(f"the server ended the stream while the job is {self.state}")
        self.done = True
