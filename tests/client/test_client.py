"""The blocking SDK against a real server: every call, typed answers and typed errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from orchid.client import (
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    NotFoundError,
    ProtocolError,
    Unreachable,
    exit_code,
)
from orchid.domain.states import JobState
from orchid.schemas.base import SimpleDuration
from orchid.schemas.jobs import Job, JobIncludeFlags, JobSpecification
from tests.support import Server, free_port, job_spec


def spec(**kwargs: Any) -> JobSpecification:
    return JobSpecification.model_validate(job_spec(**kwargs))


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.user("sdk").token) as c:
        yield c


def wait_state(client: Client, job_id: str, *states: JobState, timeout: float = 20) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = client.retrieve(job_id)
        if job.status.state in states:
            return job
        assert time.monotonic() < deadline, f"job {job_id} stayed {job.status.state}"
        time.sleep(0.02)


def test_create_then_retrieve_with_include_flags(client: Client) -> None:
    job_id = client.create(spec(script="true", name="flags"))
    plain = client.retrieve(job_id)
    assert plain.status.resolved_product is None
    full = client.retrieve(job_id, include_product=True, include_updates=True)
    assert full.id == job_id and full.specification.name == "flags"
    assert full.status.resolved_product is not None and full.status.resolved_product.cpu == 1
    assert full.updates[0].state is JobState.IN_QUEUE


def test_create_many_answers_ids_in_order(client: Client) -> None:
    ids = client.create_many([spec(script="true", name="a"), spec(script="true", name="b")])
    assert [client.retrieve(i).specification.name for i in ids] == ["a", "b"]


def test_browse_pages_and_the_page_iterator_see_every_job_once(server: Server) -> None:
    with Client(server.url, server.user("pager").token) as client:
        ids = client.create_many([spec(script="true", name=f"page-{n}") for n in range(5)])
        first = client.browse(items_per_page=2)
        assert len(first.items) == 2 and first.next is not None
        assert [job.id for job in client.jobs(page_size=2)] == ids[::-1]

        sleeping = client.create(
            spec(app="sleep", parameters={"seconds": {"type": "integer", "value": 30}})
        )
        wait_state(client, sleeping, JobState.RUNNING)
        running = client.jobs(JobIncludeFlags(filter_state=JobState.RUNNING))
        assert [job.id for job in running] == [sleeping]
        by_app = client.jobs(JobIncludeFlags(filter_application="sleep"))
        assert [job.id for job in by_app] == [sleeping]
        found = client.search("page-3")
        assert [job.id for job in found.items] == [ids[3]]
        assert [job.id for job in client.jobs(query="page-", page_size=2)] == ids[::-1]
        client.terminate(sleeping)


def test_extend_moves_the_deadline_by_exactly_the_requested_time(client: Client) -> None:
    job_id = client.create(spec(script="sleep 30", hours=1))
    before = wait_state(client, job_id, JobState.RUNNING).status.expires_at
    assert before is not None
    client.extend(job_id, "30m")
    client.extend(job_id, SimpleDuration(hours=0, minutes=0, seconds=5))
    after = client.retrieve(job_id).status.expires_at
    assert after == before + 30 * 60_000 + 5_000
    with pytest.raises(ValueError, match="not a duration"):
        client.extend(job_id, "soon")
    client.terminate(job_id)


def test_terminate_is_idempotent_and_the_job_ends(client: Client) -> None:
    job_id = client.create(spec(script="sleep 30"))
    wait_state(client, job_id, JobState.RUNNING)
    client.terminate(job_id)
    client.terminate(job_id)
    job = wait_state(client, job_id, JobState.SUCCESS)
    client.terminate(job_id)
    assert client.retrieve(job_id, include_updates=True).updates[-1].status == (
        "Your job has been cancelled!"
    )
    assert job.status.expires_at is None


def test_products_and_applications(client: Client) -> None:
    support = client.retrieve_products()
    assert [p.product.id for p in support.products_by_provider["example"]] == [
        "example-compute",
        "example-compute-large",
    ]
    assert [p.id for p in client.products()] == ["example-compute", "example-compute-large"]
    assert client.products("nobody") == []
    assert [a.metadata.name for a in client.applications()] == [
        "acme-web-application",
        "jupyterlab",
        "shell-script",
        "sleep",
    ]
    newest = client.application("sleep")
    assert newest.metadata.version == "1.0.0"
    assert newest.invocation.parameters[0].name == "seconds"
    assert client.application("sleep", "1.0.0") == newest


def test_follow_yields_typed_messages_and_ends_on_the_final_state(client: Client) -> None:
    job_id = client.create(spec(script='echo "out $ORCHID_RANK"; echo err >&2; exit 3', replicas=2))
    stdout: dict[int, str] = {}
    stderr: dict[int, str] = {}
    with client.follow(job_id) as stream:
        messages = list(stream)
    assert messages[0].initial_job is not None and messages[0].initial_job.id == job_id
    for message in messages:
        for entry in message.log:
            stdout[entry.rank] = stdout.get(entry.rank, "") + (entry.stdout or "")
            stderr[entry.rank] = stderr.get(entry.rank, "") + (entry.stderr or "")
    assert stdout == {0: "out 0\n", 1: "out 1\n"} and stderr == {0: "err\n", 1: "err\n"}
    assert stream.state is JobState.SUCCESS
    assert stream.last_status_text == "Your job has completed (exit code 3)"
    assert exit_code(stream.last_status_text) == 3


def test_following_a_finished_job_replays_it_and_ends(client: Client) -> None:
    job_id = client.create(spec(script="echo done"))
    wait_state(client, job_id, JobState.SUCCESS)
    with client.follow(job_id) as stream:
        logs = [entry.stdout for message in stream for entry in message.log]
    assert logs == ["done\n"] and stream.state is JobState.SUCCESS


def test_server_errors_are_typed_with_why_and_error_code(client: Client, server: Server) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.retrieve("999999")
    assert missing.value.status == 404 and missing.value.error_code == "JOB_NOT_FOUND"
    assert "999999" in missing.value.why
    with pytest.raises(NotFoundError):
        next(iter(client.follow("999999")))
    with pytest.raises(BadRequestError) as bad:
        client.create(spec(script="true", replicas=0))
    assert bad.value.error_code == "INVALID_REPLICAS"
    twin = spec(script="sleep 30", allow_duplicate=False)
    first = client.create(twin)
    with pytest.raises(ConflictError) as duplicate:
        client.create(twin)
    assert duplicate.value.error_code == "DUPLICATE_JOB"
    client.terminate(first)
    with Client(server.url, "not-a-token") as stranger, pytest.raises(AuthenticationError) as auth:
        stranger.products()
    assert auth.value.error_code == "INVALID_TOKEN"
    with Client(server.url, "not-a-token") as stranger, pytest.raises(AuthenticationError):
        next(iter(stranger.follow("1")))


def test_an_unreachable_server_is_unreachable_for_calls_and_follow() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, "t") as client:
        with pytest.raises(Unreachable, match=f"cannot reach Orchid at {url}"):
            client.products()
        with pytest.raises(Unreachable):
            client.follow("1")


class _Html(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>not orchid</html>")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_server_that_is_not_orchid_is_a_protocol_error() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        with Client(url, "t") as client, pytest.raises(ProtocolError, match="is the URL right"):
            client.products()
    finally:
        httpd.shutdown()
        httpd.server_close()
