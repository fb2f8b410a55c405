"""The calls of the Drives and Files APIs as data (sans-I/O, shared by both clients).

Paths are UCloud paths, `/<drive id>/<path inside the drive>`. Uploads and downloads are two-step:
`create_upload`/`create_download` answer where to send or fetch the bytes; `orchid.client.transfer`
moves the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from orchid.client.calls import Call, _nothing, _page, _reader
from orchid.schemas.base import BulkRequest, BulkResponse, FindByStringId, PageV2
from orchid.schemas.files import (
    ConflictPolicy,
    CreateFolderItem,
    CreateUploadItem,
    DownloadTarget,
    DriveCreateItem,
    DriveRenameItem,
    FileCollection,
    FileId,
    MoveOrCopyItem,
    UFile,
    UploadTarget,
)

SortBy = str  # "PATH", "SIZE" or "MODIFIED_AT"


def _bulk(items: Sequence[BaseModel]) -> object:
    return {"items": [i.model_dump(mode="json") for i in items]}


def _upload_target(answer: object) -> UploadTarget:
    responses = BulkResponse[UploadTarget].model_validate(answer).responses
    if len(responses) != 1:
        raise ValueError(f"expected one response, got {len(responses)}")
    return responses[0]


def _download_target(answer: object) -> DownloadTarget:
    responses = BulkResponse[DownloadTarget].model_validate(answer).responses
    if len(responses) != 1:
        raise ValueError(f"expected one response, got {len(responses)}")
    return responses[0]


# ---- drives ----


def browse_drives(
    items_per_page: int | None, next_token: str | None
) -> Call[PageV2[FileCollection]]:
    return Call(
        "GET",
        "/api/files/collections/browse",
        _reader(PageV2[FileCollection]),
        params=_page(items_per_page, next_token),
    )


def retrieve_drive(drive_id: str) -> Call[FileCollection]:
    return Call(
        "GET", "/api/files/collections/retrieve", _reader(FileCollection), params={"id": drive_id}
    )


def create_drive(title: str) -> Call[str]:
    def read(answer: object) -> str:
        responses = BulkResponse[FindByStringId].model_validate(answer).responses
        if len(responses) != 1:
            raise ValueError("expected one id")
        return responses[0].id

    body = BulkRequest[DriveCreateItem](items=[DriveCreateItem(title=title)])
    return Call("POST", "/api/files/collections", read, body=body.model_dump(mode="json"))


def rename_drive(drive_id: str, title: str) -> Call[None]:
    body = BulkRequest[DriveRenameItem](items=[DriveRenameItem(id=drive_id, new_title=title)])
    return Call(
        "POST", "/api/files/collections/rename", _nothing, body=body.model_dump(mode="json")
    )


def delete_drive(drive_id: str) -> Call[None]:
    body = BulkRequest[FindByStringId](items=[FindByStringId(id=drive_id)])
    return Call("DELETE", "/api/files/collections", _nothing, body=body.model_dump(mode="json"))


# ---- files ----


def browse(
    path: str,
    sort_by: SortBy | None,
    descending: bool,
    items_per_page: int | None,
    next_token: str | None,
) -> Call[PageV2[UFile]]:
    params = {"path": path, **_page(items_per_page, next_token)}
    if sort_by is not None:
        params["sortBy"] = sort_by
    if descending:
        params["sortDirection"] = "descending"
    return Call("GET", "/api/files/browse", _reader(PageV2[UFile]), params=params)


def retrieve(path: str) -> Call[UFile]:
    return Call("GET", "/api/files/retrieve", _reader(UFile), params={"id": path})


def create_folder(paths: Sequence[str], policy: ConflictPolicy) -> Call[None]:
    items = [CreateFolderItem(id=p, conflict_policy=policy) for p in paths]
    return Call("POST", "/api/files/folder", _nothing, body=_bulk(items))


def move(pairs: Sequence[tuple[str, str]], policy: ConflictPolicy) -> Call[None]:
    items = [MoveOrCopyItem(old_id=a, new_id=b, conflict_policy=policy) for a, b in pairs]
    return Call("POST", "/api/files/move", _nothing, body=_bulk(items))


def copy(pairs: Sequence[tuple[str, str]], policy: ConflictPolicy) -> Call[None]:
    items = [MoveOrCopyItem(old_id=a, new_id=b, conflict_policy=policy) for a, b in pairs]
    return Call("POST", "/api/files/copy", _nothing, body=_bulk(items))


def trash(paths: Sequence[str]) -> Call[None]:
    return Call("POST", "/api/files/trash", _nothing, body=_bulk([FileId(id=p) for p in paths]))


def empty_trash(path: str) -> Call[None]:
    return Call("POST", "/api/files/emptyTrash", _nothing, body=_bulk([FileId(id=path)]))


def delete(paths: Sequence[str]) -> Call[None]:
    return Call("DELETE", "/api/files", _nothing, body=_bulk([FileId(id=p) for p in paths]))


def create_upload(path: str, policy: ConflictPolicy) -> Call[UploadTarget]:
    item = CreateUploadItem(
        id=path, type="FILE", supported_protocols=["CHUNKED"], conflict_policy=policy
    )
    return Call("POST", "/api/files/upload", _upload_target, body=_bulk([item]))


def create_download(path: str) -> Call[DownloadTarget]:
    return Call("POST", "/api/files/download", _download_target, body=_bulk([FileId(id=path)]))
