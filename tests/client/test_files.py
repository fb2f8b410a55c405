"""`Client.files` and `AsyncClient.files` against a real server: drives, folders, chunked uploads
(resumed after a dropped chunk), streamed downloads, and the typed errors."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchid.client import AsyncClient, BadRequestError, Client, ConflictError, NotFoundError
from tests.support import Server


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.user("filer").token) as c:
        yield c


@pytest.fixture(scope="module")
def home(client: Client) -> str:
    return "/" + client.files.home().id


def test_home_drive_exists_with_jobs_and_trash(client: Client, home: str) -> None:
    drives = client.files.drives()
    assert drives[0].specification.title == "Home" and drives[0].status.preferred_drive
    names = {f.id.rsplit("/", 1)[1]: f.status.type for f in client.files.entries(home)}
    assert names == {"Jobs": "DIRECTORY", "Trash": "DIRECTORY"}


def test_upload_in_chunks_then_download_the_same_bytes(
    client: Client, home: str, tmp_path: Path
) -> None:
    data = os.urandom(300_001)
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    client.files.mkdir(f"{home}/inputs")
    sent: list[int] = []
    path = client.files.upload(
        source, f"{home}/inputs/data.bin", chunk_size=65_536, progress=sent.append
    )
    assert path == f"{home}/inputs/data.bin"
    assert sum(sent) == len(data) and len(sent) >= 5
    assert client.files.retrieve(path).status.size_in_bytes == len(data)

    got: list[int] = []
    target = tmp_path / "back.bin"
    assert client.files.download(path, target, progress=got.append) == len(data)
    assert target.read_bytes() == data and sum(got) == len(data)
    assert not (tmp_path / "back.bin.part").exists()


def test_empty_file_and_file_object(client: Client, home: str) -> None:
    assert client.files.upload(io.BytesIO(b""), f"{home}/empty") == f"{home}/empty"
    out = io.BytesIO()
    assert client.files.download(f"{home}/empty", out) == 0


def test_conflict_policies(client: Client, home: str) -> None:
    client.files.upload(io.BytesIO(b"one"), f"{home}/same.txt")
    with pytest.raises(ConflictError):
        client.files.upload(io.BytesIO(b"two"), f"{home}/same.txt")
    renamed = client.files.upload(io.BytesIO(b"two"), f"{home}/same.txt", conflict_policy="RENAME")
    assert renamed != f"{home}/same.txt" and renamed.startswith(f"{home}/same")
    client.files.upload(io.BytesIO(b"three"), f"{home}/same.txt", conflict_policy="REPLACE")
    out = io.BytesIO()
    client.files.download(f"{home}/same.txt", out)
    assert out.getvalue() == b"three"


def test_move_copy_trash_delete(client: Client, home: str) -> None:
    client.files.mkdir(f"{home}/a/b")
    client.files.upload(io.BytesIO(b"x"), f"{home}/a/b/x.txt")
    client.files.copy(f"{home}/a", f"{home}/a-copy")
    assert client.files.exists(f"{home}/a-copy/b/x.txt")
    client.files.move(f"{home}/a-copy", f"{home}/renamed")
    assert not client.files.exists(f"{home}/a-copy")
    client.files.trash(f"{home}/renamed")
    assert client.files.exists(f"{home}/Trash/renamed")
    client.files.empty_trash(f"{home}/Trash")
    assert list(client.files.entries(f"{home}/Trash")) == []
    client.files.delete(f"{home}/a")
    assert not client.files.exists(f"{home}/a")


def test_errors_are_typed(client: Client, server: Server, home: str) -> None:
    with pytest.raises(NotFoundError):
        client.files.retrieve(f"{home}/nothing-here")
    with pytest.raises(BadRequestError):
        client.files.mkdir(f"{home}/../escape")
    with Client(server.url, server.user("other-filer").token) as other:
        theirs = other.files.home().id
        other.files.upload(io.BytesIO(b"secret"), f"/{theirs}/secret.txt")
    with pytest.raises(NotFoundError):
        client.files.retrieve(f"/{theirs}/secret.txt")
    with pytest.raises(NotFoundError):
        client.files.download(f"/{theirs}/secret.txt", io.BytesIO())
    with pytest.raises(BadRequestError):
        client.files.delete_drive(home.strip("/"))


def test_drives_create_rename_delete(client: Client) -> None:
    drive_id = client.files.create_drive("Scratch")
    client.files.rename_drive(drive_id, "Scratch 2")
    assert client.files.drive(drive_id).specification.title == "Scratch 2"
    client.files.delete_drive(drive_id)
    with pytest.raises(NotFoundError):
        client.files.drive(drive_id)


class DropSecondChunk(httpx.BaseTransport):
    """A network that loses the connection once, while the second chunk is being sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.dropped = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        offset = request.headers.get("chunked-upload-offset")
        if request.method == "POST" and offset not in (None, "0") and not self.dropped:
            self.dropped = True
            next(iter(request.stream))  # type: ignore[call-overload]  # part of the body went out
            raise httpx.WriteError("connection reset")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_upload_resumes_after_a_dropped_chunk(server: Server, home: str, tmp_path: Path) -> None:
    data = os.urandom(200_000)
    network = DropSecondChunk()
    sent: list[int] = []
    with Client(server.url, server.user("filer").token, transport=network) as flaky:
        path = flaky.files.upload(
            io.BytesIO(data), f"{home}/resumed.bin", chunk_size=50_000, progress=sent.append
        )
        out = io.BytesIO()
        flaky.files.download(path, out)
    assert network.dropped
    assert out.getvalue() == data
    assert sum(sent) == len(data)  # what was lost on the way was taken back


def test_async_client_round_trip(server: Server, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with AsyncClient(server.url, server.user("filer").token) as orchid:
            home = "/" + (await orchid.files.home()).id
            await orchid.files.mkdir(f"{home}/async", conflict_policy="REPLACE")
            source = tmp_path / "a.bin"
            source.write_bytes(b"async bytes" * 1000)
            path = await orchid.files.upload(source, f"{home}/async/a.bin", chunk_size=4096)
            names = [f.id async for f in orchid.files.entries(f"{home}/async")]
            assert names == [path]
            await orchid.files.download(path, tmp_path / "b.bin")
            assert (tmp_path / "b.bin").read_bytes() == source.read_bytes()
            await orchid.files.delete(f"{home}/async")
            assert not await orchid.files.exists(f"{home}/async")

    asyncio.run(scenario())
