"""The one repository the service uses. Every public method is one transaction.

Calls are synchronous and short (an indexed lookup or a few-row write). The service calls them on the
event-loop thread on purpose: every state change is then serialised without locks, which SQLite needs
anyway (one writer at a time).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from orchid.domain.ids import parse_id
from orchid.domain.states import ACTIVE_STATES, JobState
from orchid.errors import Conflict, StorageFull
from orchid.store.filters import COLUMN_FILTERS, JobFilter
from orchid.store.models import JobRow, JobUpdateRow, TokenRow, UserRow
from orchid.store.records import JobRecord, NewJob, UpdateRecord, insert_values, job_record

_ACTIVE = [s.value for s in ACTIVE_STATES]
_JOBS: Table = JobRow.__table__  # type: ignore[assignment]
_UPDATES: Table = JobUpdateRow.__table__  # type: ignore[assignment]

# The statements on every job's hot path, built once: building a statement and its cache key
# costs SQLAlchemy more than SQLite spends running it (0.4 ms against 0.17 ms per lookup).
_GET_JOB = select(_JOBS).where(_JOBS.c.id == bindparam("key"))
_UPDATES_OF = (
    select(
        _UPDATES.c.job_id,
        _UPDATES.c.timestamp,
        _UPDATES.c.state,
        _UPDATES.c.status,
        _UPDATES.c.output_folder,
    )
    .where(_UPDATES.c.job_id.in_(bindparam("keys", expanding=True)))
    .order_by(_UPDATES.c.job_id, _UPDATES.c.id)
)
_LAST_STATUS = (
    select(_UPDATES.c.status)
    .where(_UPDATES.c.job_id == bindparam("key"))
    .order_by(_UPDATES.c.id.desc())
    .limit(1)
)
_ADD_UPDATE = insert(_UPDATES)
_INSERT_JOB = insert(_JOBS).returning(_JOBS.c.id, sort_by_parameter_order=True)
_SET_OUTPUT_FOLDER = (
    update(_JOBS).where(_JOBS.c.id == bindparam("key")).values(output_folder=bindparam("folder"))
)
_SET_JOB: dict[frozenset[str], Any] = {}  # the UPDATE for each set of columns it writes


def _set_job(columns: frozenset[str]) -> Any:
    """`UPDATE jobs SET <columns> WHERE id = :key RETURNING *`, built once per column set; the
    values are bound as `v_<column>`."""
    statement = _SET_JOB.get(columns)
    if statement is None:
        statement = (
            update(_JOBS)
            .where(_JOBS.c.id == bindparam("key"))
            .values({c: bindparam(f"v_{c}") for c in sorted(columns)})
            .returning(*_JOBS.c)
        )
        _SET_JOB[columns] = statement
    return statement


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_engine(url: str | URL) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # Stale connections are recycled instead of pinged before every use (a round trip).
        engine = create_engine(parsed, pool_recycle=1800)
    event.listen(engine, "handle_error", _disk_full)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _disk_full(context: ExceptionContext) -> None:
    """A write the database cannot make for lack of space leaves as StorageFull (507); the
    transaction is rolled back, so nothing is half written."""
    original = context.original_exception
    if (
        getattr(original, "sqlite_errorname", None) == "SQLITE_FULL"  # SQLite
        or getattr(original, "sqlstate", None) == "53100"  # PostgreSQL's disk_full
    ):
        raise StorageFull(
            "the server's disk is full, so nothing was written; try again once there is room"
        ) from context.sqlalchemy_exception


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    # ---- users and tokens ----

    def create_user(self, username: str, now: int, unix_user: str | None = None) -> str:
        """Create a user (mapped to `unix_user`, if given) and return a new bearer token for it.
        Raises Conflict if it exists."""
        token = "orchid_" + secrets.token_urlsafe(32)
        try:
            with self._sessions.begin() as s:
                s.add(UserRow(username=username, created_at=now, unix_user=unix_user))
                s.flush()
                s.add(TokenRow(token_hash=hash_token(token), username=username, created_at=now))
        except IntegrityError as exc:
            raise Conflict(f"user {username!r} already exists", "USER_EXISTS") from exc
        return token

    def create_token(self, username: str, now: int) -> str | None:
        token = "orchid_" + secrets.token_urlsafe(32)
        with self._sessions.begin() as s:
            if s.scalar(select(UserRow.id).where(UserRow.username == username)) is None:
                return None
            s.add(TokenRow(token_hash=hash_token(token), username=username, created_at=now))
        return token

    def username_for_token(self, token: str) -> str | None:
        with self._sessions() as s:
            return s.scalar(
                select(TokenRow.username).where(TokenRow.token_hash == hash_token(token))
            )

    def set_unix_user(self, username: str, unix_user: str | None) -> bool:
        """Map a user to a Unix account (None: remove the mapping). False if there is no user."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(UserRow).where(UserRow.username == username).values(unix_user=unix_user)
            )
            return done.rowcount > 0

    def unix_user_of(self, username: str) -> tuple[bool, str | None]:
        """(whether the user exists, the Unix account it is mapped to or None)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(UserRow.unix_user).where(UserRow.username == username)
            ).first()
        return (False, None) if row is None else (True, row.unix_user)

    def unix_users(self) -> list[tuple[str, str | None]]:
        """Every user with the Unix account it is mapped to (None: not mapped), by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(UserRow.username, UserRow.unix_user).order_by(UserRow.username)
            )
            return [(name, account) for name, account in rows]

    def usernames(self) -> list[str]:
        with self._sessions() as s:
            return list(s.scalars(select(UserRow.username).order_by(UserRow.username)))

    # ---- jobs ----

    def insert_jobs(
        self,
        jobs: Sequence[NewJob],
        now: int,
        status: str,
        output_parents: Sequence[str | None] = (),
    ) -> list[str]:
        """Insert jobs IN_QUEUE with their first update, all or nothing (one transaction).
        Returns their ids, in the order of `jobs`. The write lock is held for the whole
        transaction: callers with many jobs insert them a chunk at a time.

        `output_parents[i]`, when given and not None, is the folder job i's output folder goes
        into: the job's `output_folder` is `<parent>/<its id>`, written in the same transaction."""
        if not jobs:
            return []
        queued = JobState.IN_QUEUE.value
        rows = [{**insert_values(j, now), "output_folder": None} for j in jobs]
        with self.engine.begin() as conn:
            ids = list(conn.scalars(_INSERT_JOB, rows))
            folders = [
                {"key": i, "folder": f"{parent}/{i}"}
                for i, parent in zip(ids, output_parents, strict=False)
                if parent is not None
            ]
            if folders:
                conn.execute(_SET_OUTPUT_FOLDER, folders)
            conn.execute(
                _ADD_UPDATE,
                [
                    {
                        "job_id": i,
                        "timestamp": now,
                        "state": queued,
                        "status": status,
                        "output_folder": None,
                    }
                    for i in ids
                ],
            )
        return [str(i) for i in ids]

    def delete_jobs(self, job_ids: Sequence[str]) -> None:
        """Remove jobs and their updates: only for jobs stored by a create that then failed
        before any of them was handed to a provider."""
        keys = [int(i) for i in job_ids]
        with self.engine.begin() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                conn.execute(delete(_UPDATES).where(_UPDATES.c.job_id.in_(chunk)))
                conn.execute(delete(_JOBS).where(_JOBS.c.id.in_(chunk)))

    # The two calls on every job's hot path (read the job, record a state change) use SQLAlchemy
    # Core on a plain connection: the ORM's unit of work cost more than SQLite itself.

    def get(self, job_id: str, *, with_updates: bool = True) -> JobRecord | None:
        key = parse_id(job_id)
        if key is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(_GET_JOB, {"key": key}).first()
            if row is None:
                return None
            updates = _updates_for(conn, [key]).get(key, ()) if with_updates else ()
            return job_record(row, updates)

    def apply(
        self,
        job_id: str,
        now: int,
        *,
        state: JobState | None,
        status: str | None,
        started_at: int | None = None,
        handle: dict[str, Any] | None = None,
        provider_job_id: str | None = None,
        output_folder: str | None = None,
    ) -> JobRecord:
        """Write a new state (if any) and append its update, in one transaction.

        The caller (the service) has already checked the transition. A final state clears the
        duplicate key, so an identical job may be submitted again. The returned record carries no
        updates (callers need the new state and deadline, not the history).
        """
        key = int(job_id)
        values: dict[str, Any] = {}
        if state is not None:
            values["state"] = state.value
            if state.is_final:
                values["duplicate_key"] = None
        if started_at is not None:
            values["started_at"] = started_at
        if handle is not None:
            values["provider_handle"] = handle
        if provider_job_id is not None:
            values["provider_job_id"] = provider_job_id
        with self.engine.begin() as conn:
            if values:
                bound = {f"v_{c}": v for c, v in values.items()}
                row = conn.execute(_set_job(frozenset(values)), {"key": key, **bound}).first()
            else:
                row = conn.execute(_GET_JOB, {"key": key}).first()
            if row is None:
                raise LookupError(job_id)
            conn.execute(
                _ADD_UPDATE,
                {
                    "job_id": key,
                    "timestamp": now,
                    "state": state.value if state is not None else None,
                    "status": status,
                    "output_folder": output_folder,
                },
            )
            return job_record(row, ())

    def last_status(self, job_id: str) -> str | None:
        """The status text of the job's latest update (None if it has none)."""
        key = parse_id(job_id)
        if key is None:
            return None
        with self.engine.connect() as conn:
            return conn.scalar(_LAST_STATUS, {"key": key})

    def set_handle(self, job_id: str, handle: dict[str, Any], provider_job_id: str | None) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == int(job_id))
                .values(provider_handle=handle, provider_job_id=provider_job_id)
            )

    def add_extension(self, job_id: str, ms: int) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == int(job_id))
                .values(extension_ms=JobRow.extension_ms + ms)
            )

    def active_duplicates(self, owner: str, keys: Iterable[str]) -> set[str]:
        """Which of these duplicate keys belong to an active job of this owner."""
        wanted = list(set(keys))
        if not wanted:
            return set()
        with self._sessions() as s:
            found = s.scalars(
                select(JobRow.duplicate_key).where(
                    JobRow.owner == owner,
                    JobRow.duplicate_key.in_(wanted),
                    JobRow.state.in_(_ACTIVE),
                )
            )
            return {k for k in found if k is not None}

    def active_counts(self, owner: str) -> dict[JobState, int]:
        """How many jobs of this owner are in each active state (absent: none)."""
        with self._sessions() as s:
            rows = s.execute(
                select(JobRow.state, func.count(JobRow.id))
                .where(JobRow.owner == owner, JobRow.state.in_(_ACTIVE))
                .group_by(JobRow.state)
            )
            return {JobState(state): int(count) for state, count in rows}

    def active_jobs(self) -> list[JobRecord]:
        """Every job that is not final, oldest first (with updates)."""
        with self._sessions() as s:
            rows = list(
                s.scalars(select(JobRow).where(JobRow.state.in_(_ACTIVE)).order_by(JobRow.id))
            )
            updates = _updates_for(s, [r.id for r in rows])
            return [job_record(r, updates.get(r.id, ())) for r in rows]

    def browse(
        self,
        flt: JobFilter,
        *,
        limit: int,
        after: int | None = None,
        ascending: bool = False,
        offset: int = 0,
        with_updates: bool = False,
    ) -> list[JobRecord]:
        """Jobs matching the filter, newest first (or oldest first), continuing after the job
        with id `after` in that order."""
        stmt = select(JobRow).where(JobRow.owner == flt.owner)
        if after is not None:
            stmt = stmt.where(JobRow.id > after if ascending else JobRow.id < after)
        order = JobRow.id.asc() if ascending else JobRow.id.desc()
        stmt = _filtered(stmt, flt).order_by(order).offset(offset).limit(limit)
        with self._sessions() as s:
            rows = list(s.scalars(stmt))
            updates = _updates_for(s, [r.id for r in rows]) if with_updates else {}
            return [job_record(r, updates.get(r.id, ())) for r in rows]

    def count_jobs(self) -> int:
        with self._sessions() as s:
            return s.scalar(select(func.count(JobRow.id))) or 0


def _filtered(stmt: Any, f: JobFilter) -> Any:
    conditions: list[Any] = []
    for name, (column_name, comparison) in COLUMN_FILTERS.items():
        value = getattr(f, name)
        if value is None:
            continue
        column = _JOBS.c[column_name]
        if isinstance(value, JobState):
            value = value.value
        match comparison:
            case "==":
                conditions.append(column == value)
            case "!=":
                conditions.append(column != value)
            case ">=":
                conditions.append(column >= value)
            case "<=":
                conditions.append(column <= value)
            case "in":
                conditions.append(column.in_(value))
    if f.query:
        pattern = f"%{_escape_like(f.query.lower())}%"
        query_conditions: list[Any] = [
            func.lower(JobRow.name).like(pattern, escape="\\"),
            func.lower(JobRow.app_name).like(pattern, escape="\\"),
        ]
        query_id = parse_id(f.query.strip())
        if query_id is not None:
            query_conditions.append(JobRow.id == query_id)
        conditions.append(or_(*query_conditions))
    return stmt.where(*conditions) if conditions else stmt


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _updates_for(s: Session | Connection, ids: list[int]) -> dict[int, tuple[UpdateRecord, ...]]:
    if not ids:
        return {}
    grouped: dict[int, list[UpdateRecord]] = defaultdict(list)
    rows = s.execute(_UPDATES_OF, {"keys": ids})
    for job_id, timestamp, state, status, output_folder in rows:
        grouped[job_id].append(
            UpdateRecord(
                timestamp, JobState(state) if state is not None else None, status, output_folder
            )
        )
    return {k: tuple(v) for k, v in grouped.items()}
