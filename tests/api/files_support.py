"""Small helpers for the files API tests: raw HTTP, so the wire shapes are what is tested."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Api


def home(api: Api) -> str:
    page = api.http.get("/api/files/collections/browse").json()
    drive = next(d for d in page["items"] if d["specification"]["title"] == "Home")
    return str(drive["id"])


def bulk(api: Api, method: str, url: str, *items: dict[str, Any]) -> httpx.Response:
    return api.http.request(method, url, json={"items": list(items)})


def mkdir(api: Api, path: str, policy: str = "REJECT") -> httpx.Response:
    return bulk(api, "POST", "/api/files/folder", {"id": path, "conflictPolicy": policy})


def names(api: Api, path: str, **params: Any) -> list[str]:
    r = api.http.get("/api/files/browse", params={"path": path, **params})
    assert r.status_code == 200, r.text
    return [item["id"].rsplit("/", 1)[1] for item in r.json()["items"]]


def upload(
    api: Api, path: str, data: bytes, policy: str = "REJECT", chunk: int = 1 << 20
) -> httpx.Response:
    """createUpload then every chunk; returns the last chunk's response (or the refusal)."""
    r = bulk(
        api,
        "POST",
        "/api/files/upload",
        {"id": path, "type": "FILE", "supportedProtocols": ["CHUNKED"], "conflictPolicy": policy},
    )
    if r.status_code != 200:
        return r
    target = r.json()["responses"][0]
    offset = 0
    while True:
        piece = data[offset : offset + chunk]
        r = httpx.post(
            target["endpoint"],
            content=piece,
            headers={
                "Chunked-Upload-Token": target["token"],
                "Chunked-Upload-Offset": str(offset),
                "Chunked-Upload-Total-Size": str(len(data)),
            },
        )
        offset += len(piece)
        if r.status_code != 200 or offset >= len(data):
            return r


def download(api: Api, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    r = bulk(api, "POST", "/api/files/download", {"id": path})
    if r.status_code != 200:
        return r
    return httpx.get(r.json()["responses"][0]["endpoint"], headers=headers or {})


def assert_error(r: httpx.Response, status: int, code: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"why", "errorCode"} and body["why"]
    if code is not None:
        assert body["errorCode"] == code, body
