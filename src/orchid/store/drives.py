"""Drives in the database: which drives exist, whose they are, what they are called."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from orchid.domain.ids import parse_id
from orchid.store.models import DriveRow

HOME = "HOME"
EXTRA = "EXTRA"


@dataclass(frozen=True)
class DriveRecord:
    id: str
    owner: str
    title: str
    kind: str
    created_at: int

    @property
    def is_home(self) -> bool:
        return self.kind == HOME


def _record(row: DriveRow) -> DriveRecord:
    return DriveRecord(str(row.id), row.owner, row.title, row.kind, row.created_at)


class DriveStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def get(self, drive_id: str) -> DriveRecord | None:
        key = parse_id(drive_id)
        if key is None:
            return None
        with self._sessions() as s:
            row = s.get(DriveRow, key)
            return _record(row) if row is not None else None

    def home(self, owner: str) -> DriveRecord | None:
        with self._sessions() as s:
            row = s.scalar(select(DriveRow).where(DriveRow.home_of == owner))
            return _record(row) if row is not None else None

    def create_home(self, owner: str, now: int) -> tuple[DriveRecord, bool]:
        """The owner's Home drive, and whether this call created it."""
        try:
            with self._sessions.begin() as s:
                row = DriveRow(owner=owner, title="Home", kind=HOME, home_of=owner, created_at=now)
                s.add(row)
                s.flush()
                return _record(row), True
        except IntegrityError:
            found = self.home(owner)
            if found is None:
                raise
            return found, False

    def create(self, owner: str, title: str, now: int) -> DriveRecord:
        with self._sessions.begin() as s:
            row = DriveRow(owner=owner, title=title, kind=EXTRA, home_of=None, created_at=now)
            s.add(row)
            s.flush()
            return _record(row)

    def owned(self, owner: str) -> list[DriveRecord]:
        """The owner's drives, Home first, then by title."""
        with self._sessions() as s:
            rows = s.scalars(select(DriveRow).where(DriveRow.owner == owner))
            records = [_record(r) for r in rows]
        return sorted(records, key=lambda d: (not d.is_home, d.title.lower(), int(d.id)))

    def rename(self, drive_id: str, title: str) -> None:
        with self._sessions.begin() as s:
            s.execute(update(DriveRow).where(DriveRow.id == int(drive_id)).values(title=title))

    def delete(self, drive_id: str) -> None:
        with self._sessions.begin() as s:
            s.execute(delete(DriveRow).where(DriveRow.id == int(drive_id)))
