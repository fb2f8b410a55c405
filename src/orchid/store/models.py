"""Tables. States are text columns with a CHECK (not native enums), updates are append-only."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from orchid.domain.states import JobState

_STATES = ", ".join(f"'{s.value}'" for s in JobState)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    # The Unix account the operator mapped this user to (decision 10); None: Orchid's own rule.
    unix_user: Mapped[str | None] = mapped_column(String(32))


class TokenRow(Base):
    __tablename__ = "tokens"

    # Only a SHA-256 of the token is stored; the token itself is shown once, at creation.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"))
    created_at: Mapped[int] = mapped_column(BigInteger)


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        CheckConstraint("replicas >= 1", name="replicas"),
        Index("ix_jobs_owner_id", "owner", "id"),
        Index("ix_jobs_state", "state"),
        Index("ix_jobs_owner_duplicate_key", "owner", "duplicate_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(200))
    project: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    app_name: Mapped[str] = mapped_column(String(200))
    app_version: Mapped[str] = mapped_column(String(100))
    product_provider: Mapped[str] = mapped_column(String(200))
    product_category: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(Text)
    replicas: Mapped[int] = mapped_column(Integer)
    # The specification exactly as accepted (wire format), so reads return what the user asked for.
    specification: Mapped[str] = mapped_column(Text)
    # Set while the job is active when allowDuplicateJob is false; cleared when it ends.
    duplicate_key: Mapped[str | None] = mapped_column(String(64))
    time_allocation_ms: Mapped[int | None] = mapped_column(BigInteger)
    extension_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[int | None] = mapped_column(BigInteger)
    provider_handle: Mapped[dict[str, object] | None] = mapped_column(JSON)
    provider_job_id: Mapped[str | None] = mapped_column(String(200))
    # The Unix account the job runs as, fixed at create so a restart re-attaches it unchanged.
    run_as_user: Mapped[str | None] = mapped_column(String(32))
    run_as_uid: Mapped[int | None] = mapped_column(Integer)
    run_as_gid: Mapped[int | None] = mapped_column(Integer)
    # The UCloud path of the job's /work folder (output.outputFolder), set when it is created.
    output_folder: Mapped[str | None] = mapped_column(Text)


class JobUpdateRow(Base):
    __tablename__ = "job_updates"
    __table_args__ = (
        CheckConstraint(f"state IS NULL OR state IN ({_STATES})", name="state"),
        Index("ix_job_updates_job_id_id", "job_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(Text)
    # Set on the update that starts the job (JobUpdate.outputFolder).
    output_folder: Mapped[str | None] = mapped_column(Text)


class DriveRow(Base):
    """A drive (UCloud FileCollection). Its files live at <storage root>/<id> on disk."""

    __tablename__ = "drives"
    __table_args__ = (
        CheckConstraint("kind IN ('HOME', 'EXTRA')", name="kind"),
        Index("ix_drives_owner_id", "owner", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    # Set to the owner for the Home drive only: the unique key makes "one Home per user" hold
    # even when two first requests race.
    home_of: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
