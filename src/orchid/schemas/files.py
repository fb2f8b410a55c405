"""Drives (FileCollection) and files (UFile), their requests and flags, as on UCloud's wire."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from orchid.schemas.base import Bool, NextToken, PageSize, Wire
from orchid.schemas.jobs import ResourceOwner
from orchid.schemas.products import ProductReference

STORAGE_PRODUCT = ProductReference(
    id="orchid-storage", category="orchid-storage", provider="orchid"
)

ConflictPolicy = Literal["RENAME", "REJECT", "REPLACE", "MERGE_RENAME"]
FileType = Literal["FILE", "DIRECTORY", "SOFT_LINK", "DANGLING_METADATA"]
FileIcon = Literal["DIRECTORY_STAR", "DIRECTORY_SHARES", "DIRECTORY_TRASH", "DIRECTORY_JOBS"]

MAX_ITEMS_PER_PAGE = 1000
DEFAULT_ITEMS_PER_PAGE = 250


class ResourcePermissions(Wire):
    myself: list[str]
    others: list[dict[str, object]] = Field(default_factory=list)


OWNER_PERMISSIONS = ResourcePermissions(myself=["ADMIN"], others=[])


# ---- drives ----


class FileCollectionSpecification(Wire):
    title: str
    product: ProductReference


class FileCollectionStatus(Wire):
    resolved_support: None = None
    resolved_product: None = None
    preferred_drive: bool = False


class FileCollection(Wire):
    id: str
    specification: FileCollectionSpecification
    created_at: int
    status: FileCollectionStatus
    updates: list[dict[str, object]] = Field(default_factory=list)
    owner: ResourceOwner
    permissions: ResourcePermissions | None
    provider_generated_id: str | None


class DriveCreateItem(Wire):
    title: str = Field(max_length=1000)
    product: ProductReference | None = None


class DriveRenameItem(Wire):
    id: str
    new_title: str = Field(max_length=1000)


class ResourceFlags(Wire):
    """Flags common to resource browse/retrieve; accepted and mostly informational here."""

    include_others: Bool | None = None
    include_updates: Bool | None = None
    include_support: Bool | None = None
    include_product: Bool | None = None
    filter_created_by: str | None = None
    filter_provider: str | None = None
    filter_product_id: str | None = None
    filter_product_category: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


class DriveBrowseQuery(ResourceFlags):
    items_per_page: PageSize | None = None
    next: NextToken | None = None
    filter_member_files: str | None = None
    sort_by: str | None = None
    sort_direction: str | None = None


class DriveRetrieveQuery(ResourceFlags):
    id: str = Field(min_length=1, max_length=100)


# ---- files ----


class UFileSpecification(Wire):
    collection: str
    product: ProductReference


class UFileStatus(Wire):
    type: FileType
    icon: FileIcon | None = None
    size_in_bytes: int | None = None
    size_including_children_in_bytes: int | None = None
    modified_at: int | None = None
    accessed_at: int | None = None
    unix_mode: int | None = None
    unix_owner: int | None = None
    unix_group: int | None = None
    metadata: None = None
    resolved_support: None = None
    resolved_product: None = None


class UFile(Wire):
    id: str
    specification: UFileSpecification
    created_at: int
    status: UFileStatus
    owner: ResourceOwner
    permissions: ResourcePermissions | None
    updates: list[dict[str, object]] = Field(default_factory=list)


class FileFlags(ResourceFlags):
    include_permissions: Bool | None = None
    include_timestamps: Bool | None = None
    include_sizes: Bool | None = None
    include_unix_info: Bool | None = None
    include_metadata: Bool | None = None
    filter_by_file_extension: str | None = None
    filter_hidden_files: Bool | None = None
    allow_unsupported_include: Bool | None = None


class FileBrowseQuery(FileFlags):
    path: str | None = Field(default=None, max_length=4096)
    items_per_page: PageSize | None = None
    next: NextToken | None = None
    sort_by: Literal["PATH", "SIZE", "MODIFIED_AT"] | None = None
    sort_direction: Literal["ascending", "descending"] | None = None


class FileRetrieveQuery(FileFlags):
    id: str = Field(min_length=1, max_length=4096)


class FileId(Wire):
    id: str = Field(max_length=4096)


class CreateFolderItem(Wire):
    id: str = Field(max_length=4096)
    conflict_policy: ConflictPolicy = "REJECT"


class MoveOrCopyItem(Wire):
    old_id: str = Field(max_length=4096)
    new_id: str = Field(max_length=4096)
    conflict_policy: ConflictPolicy = "REJECT"


class LongRunningTask(Wire):
    """`{"type": "complete"}`; Orchid finishes every file operation before it answers."""

    type: Literal["complete"] = "complete"


class CreateUploadItem(Wire):
    id: str = Field(max_length=4096)
    type: Literal["FILE", "FOLDER"] = "FILE"
    supported_protocols: list[str] = Field(default_factory=lambda: ["CHUNKED"], max_length=10)
    conflict_policy: ConflictPolicy = "REJECT"


class UploadTarget(Wire):
    endpoint: str
    protocol: Literal["CHUNKED"]
    token: str


class DownloadTarget(Wire):
    endpoint: str


class UploadProgress(Wire):
    """Orchid's answer to a chunk (and to GET on the chunked endpoint): where to continue."""

    offset: int
    total_size: int | None
    complete: bool
    path: str | None = None
