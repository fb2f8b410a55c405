"""Drive and file records -> their wire shapes (FileCollection, UFile)."""

from __future__ import annotations

from orchid.schemas.files import (
    OWNER_PERMISSIONS,
    STORAGE_PRODUCT,
    FileCollection,
    FileCollectionSpecification,
    FileCollectionStatus,
    FileIcon,
    UFile,
    UFileSpecification,
    UFileStatus,
)
from orchid.schemas.jobs import ResourceOwner
from orchid.service.files import DriveRecord, Entry, Located

_ICONS: dict[str, FileIcon] = {"Jobs": "DIRECTORY_JOBS", "Trash": "DIRECTORY_TRASH"}


def drive_view(drive: DriveRecord) -> FileCollection:
    return FileCollection(
        id=drive.id,
        specification=FileCollectionSpecification(title=drive.title, product=STORAGE_PRODUCT),
        created_at=drive.created_at,
        status=FileCollectionStatus(preferred_drive=drive.is_home),
        owner=ResourceOwner(created_by=drive.owner, project=None),
        permissions=OWNER_PERMISSIONS,
        provider_generated_id=f"h-{drive.owner}" if drive.is_home else None,
    )


def file_view(at: Located, parts: tuple[str, ...], entry: Entry) -> UFile:
    """A UFile for the entry at `parts` of the located drive."""
    path = "/" + "/".join((at.drive.id, *parts))
    icon = _ICONS.get(parts[0]) if len(parts) == 1 and entry.kind == "DIRECTORY" else None
    return UFile(
        id=path,
        specification=UFileSpecification(collection=at.drive.id, product=STORAGE_PRODUCT),
        created_at=entry.modified_at,
        status=UFileStatus(
            type=entry.kind,
            icon=icon,
            size_in_bytes=entry.size if entry.kind != "DIRECTORY" else None,
            modified_at=entry.modified_at,
            accessed_at=entry.accessed_at,
            unix_mode=entry.mode,
            unix_owner=entry.uid,
            unix_group=entry.gid,
        ),
        owner=ResourceOwner(created_by=at.drive.owner, project=None),
        permissions=OWNER_PERMISSIONS,
    )
