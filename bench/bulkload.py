"""Fill the database with many finished jobs, copied from one real job, while the server is down.

Rows go straight into the `jobs` and `job_updates` tables (SQLAlchemy Core, the tables of
orchid.store.models), so loading 100,000 jobs takes seconds instead of the minutes it would take
through the API. Every copy keeps the template's specification, handle and update texts; ids,
creation times and update timestamps are shifted so that the copies look like one job a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, create_engine, func, select, text

from orchid.store.models import JobRow, JobUpdateRow

JOBS = cast(Table, JobRow.__table__)
UPDATES = cast(Table, JobUpdateRow.__table__)
CHUNK = 5_000
SPACING_MS = 60_000


@dataclass(frozen=True)
class LoadResult:
    first_id: int
    last_id: int
    seconds: float

    @property
    def count(self) -> int:
        return self.last_id - self.first_id + 1


def _chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for low in range(start, stop, size):
        yield range(low, min(low + size, stop))


def _template(conn: Connection, job_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    job = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().one()
    updates = conn.execute(
        select(UPDATES).where(UPDATES.c.job_id == job_id).order_by(UPDATES.c.id)
    ).mappings()
    return dict(job), [dict(u) for u in updates]


def load_jobs(database_url: str, template_id: str, count: int, budget_s: float) -> LoadResult:
    """Insert `count` copies of job `template_id` (a finished job) after the highest existing id;
    fewer if `budget_s` seconds run out (the check is made between chunks)."""
    engine = create_engine(database_url)
    started = time.perf_counter()
    loaded = 0
    try:
        with engine.begin() as conn:
            job, updates = _template(conn, int(template_id))
            first_id = int(conn.scalar(select(func.max(JOBS.c.id))) or 0) + 1
            next_update_id = int(conn.scalar(select(func.max(UPDATES.c.id))) or 0) + 1
            created0 = int(job["created_at"])
            base = int(time.time() * 1000) - count * SPACING_MS
            template_dir = str((job["provider_handle"] or {}).get("dir", ""))
            for ids in _chunks(first_id, first_id + count, CHUNK):
                if time.perf_counter() - started > budget_s:
                    break
                job_rows = []
                update_rows = []
                for new_id in ids:
                    shift = base + (new_id - first_id) * SPACING_MS - created0
                    row = dict(job, id=new_id, created_at=created0 + shift)
                    if row["started_at"] is not None:
                        row["started_at"] += shift
                    if row["provider_job_id"] is not None:
                        row["provider_job_id"] = str(new_id)
                    if job["provider_handle"] is not None:
                        handle = dict(job["provider_handle"])
                        handle["dir"] = template_dir.rsplit("/", 1)[0] + f"/{new_id}"
                        row["provider_handle"] = handle
                    job_rows.append(row)
                    for update in updates:
                        update_rows.append(
                            dict(
                                update,
                                id=next_update_id,
                                job_id=new_id,
                                timestamp=int(update["timestamp"]) + shift,
                            )
                        )
                        next_update_id += 1
                conn.execute(JOBS.insert(), job_rows)
                conn.execute(UPDATES.insert(), update_rows)
                loaded += len(ids)
            if engine.dialect.name == "postgresql":
                # Explicit ids do not move the sequences; later inserts must not collide.
                for table in ("jobs", "job_updates"):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        if engine.dialect.name == "postgresql":
            # What autovacuum's auto-analyze would do shortly after such a load.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE jobs"))
                conn.execute(text("ANALYZE job_updates"))
    finally:
        engine.dispose()
    return LoadResult(first_id, first_id + loaded - 1, time.perf_counter() - started)
