"""The store on both databases: schema and migrations, users and tokens, constraints, browse."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from orchid.domain.states import JobState
from orchid.errors import Conflict
from orchid.runtime import SchemaOutOfDate, open_store
from orchid.schemas.jobs import JobIncludeFlags, JobSpecification, PaginationFields
from orchid.service.jobs import JobService
from orchid.settings import Settings
from orchid.store import migrate
from orchid.store.filters import COLUMN_FILTERS, JobFilter
from orchid.store.models import Base, JobRow, JobUpdateRow, TokenRow
from orchid.store.records import JobRecord, NewJob
from orchid.store.repository import Store
from tests.service.helpers import catalog

NOW = 1_700_000_000_000


@pytest.fixture
def empty(database_url: str) -> Iterator[Store]:
    """A store over an empty database (no schema at all)."""
    store = Store.from_url(database_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def store(empty: Store) -> Store:
    migrate.upgrade(empty.engine)
    return empty


# ---- schema and migrations ----


def test_migrations_produce_exactly_the_schema_of_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_create_the_check_constraints(store: Store) -> None:
    # Alembic's comparison does not look at CHECK constraints, so they are checked by name.
    inspector = inspect(store.engine)
    assert {c["name"] for c in inspector.get_check_constraints("jobs")} == {
        "ck_jobs_state",
        "ck_jobs_replicas",
    }
    assert {c["name"] for c in inspector.get_check_constraints("job_updates")} == {
        "ck_job_updates_state"
    }


def test_an_empty_database_is_not_current_until_upgraded(empty: Store) -> None:
    assert migrate.current_revision(empty.engine) is None
    assert not migrate.is_current(empty.engine)

    migrate.upgrade(empty.engine)

    assert migrate.current_revision(empty.engine) == migrate.head_revision()
    assert migrate.is_current(empty.engine)
    # Upgrading a current database is a no-op
    migrate.upgrade(empty.engine)
    assert migrate.is_current(empty.engine)


def test_open_store_refuses_an_out_of_date_schema_and_names_the_fix(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)

    # Given an empty database, when Orchid starts without migrating
    with pytest.raises(SchemaOutOfDate) as raised:
        open_store(settings, auto_migrate=False)

    # Then it refuses, and says which command fixes it
    assert "orchid db upgrade" in raised.value.why

    # ... and once migrated (as `orchid db upgrade` does), it opens
    open_store(settings).close()
    store = open_store(settings, auto_migrate=False)
    try:
        assert migrate.is_current(store.engine)
    finally:
        store.close()


# ---- users and tokens ----


def test_a_new_user_gets_a_token_that_names_them(store: Store) -> None:
    token = store.create_user("alice", NOW)

    assert store.username_for_token(token) == "alice"
    assert store.username_for_token(token + "x") is None
    assert store.username_for_token("") is None
    assert store.usernames() == ["alice"]


def test_a_user_cannot_be_created_twice(store: Store) -> None:
    first = store.create_user("alice", NOW)

    with pytest.raises(Conflict) as raised:
        store.create_user("alice", NOW)

    assert raised.value.error_code == "USER_EXISTS"
    assert store.usernames() == ["alice"]
    assert store.username_for_token(first) == "alice"


def test_more_tokens_for_an_existing_user_only(store: Store) -> None:
    first = store.create_user("alice", NOW)
    second = store.create_token("alice", NOW)

    assert second is not None and second != first
    assert store.username_for_token(first) == store.username_for_token(second) == "alice"
    assert store.create_token("nobody", NOW) is None


def test_tokens_are_stored_only_as_hashes(store: Store) -> None:
    tokens = [store.create_user("alice", NOW), store.create_user("bob", NOW)]
    extra = store.create_token("alice", NOW)
    assert extra is not None
    tokens.append(extra)

    with store.engine.connect() as conn:
        stored = [
            tuple(row)
            for table in ("tokens", "users")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        ]
        hashes = set(conn.scalars(select(TokenRow.token_hash)))

    everything = repr(stored)
    for token in tokens:
        assert token not in everything
        assert token.removeprefix("orchid_") not in everything
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}


# ---- jobs: constraints and writes ----


def spec(
    app: str = "shell-script",
    product: str = "example-compute",
    name: str | None = None,
) -> JobSpecification:
    body: dict[str, Any] = {
        "application": {"name": app, "version": "1.0.0"},
        "product": {"id": product, "category": "example-compute", "provider": "example"},
        "name": name,
        "parameters": {"script": {"type": "text", "value": "true"}}
        if app == "shell-script"
        else {},
    }
    return JobSpecification.model_validate(body)


def new_job(
    owner: str = "alice",
    *,
    app: str = "shell-script",
    product: str = "example-compute",
    name: str | None = None,
    replicas: int = 1,
    duplicate_key: str | None = None,
) -> NewJob:
    s = spec(app, product, name)
    return NewJob(
        owner=owner,
        project=None,
        app_name=app,
        app_version="1.0.0",
        product_provider="example",
        product_category="example-compute",
        product_id=product,
        name=name,
        replicas=replicas,
        specification=s.model_dump_json(),
        duplicate_key=duplicate_key,
        time_allocation_ms=None,
    )


def test_the_job_shape_and_the_jobs_table_name_the_same_fields() -> None:
    # Rows and records are mapped by name (store/records.py): a column without a field, or a
    # field without a column, would be silently lost on the way in or out.
    columns = {column.name for column in JobRow.__table__.columns}
    new_fields = {f.name for f in dataclasses.fields(NewJob)}
    record_fields = {f.name for f in dataclasses.fields(JobRecord)} - {"updates"}

    assert new_fields < columns
    assert columns - {"duplicate_key"} == record_fields


def test_the_database_rejects_an_unknown_state(store: Store) -> None:
    (job_id,) = store.insert_jobs([new_job()], NOW, "queued")

    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(JobRow).where(JobRow.id == int(job_id)).values(state="PAUSED"))
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(
            insert(JobUpdateRow).values(
                job_id=int(job_id), timestamp=NOW, state="PAUSED", status="?"
            )
        )

    record = store.get(job_id)
    assert record is not None and record.state == JobState.IN_QUEUE
    assert len(record.updates) == 1


def test_inserting_jobs_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(IntegrityError):
        store.insert_jobs([new_job(), new_job(replicas=0)], NOW, "queued")

    assert store.count_jobs() == 0
    with store.engine.connect() as conn:
        assert conn.scalar(text("SELECT COUNT(*) FROM job_updates")) == 0


def test_a_final_state_frees_the_duplicate_key(store: Store) -> None:
    (job_id,) = store.insert_jobs([new_job(duplicate_key="k1")], NOW, "queued")
    assert store.active_duplicates("alice", ["k1", "k2"]) == {"k1"}
    assert store.active_duplicates("bob", ["k1"]) == set()

    store.apply(job_id, NOW + 1, state=JobState.RUNNING, status="running", started_at=NOW + 1)
    assert store.active_duplicates("alice", ["k1"]) == {"k1"}
    record = store.apply(job_id, NOW + 2, state=JobState.SUCCESS, status="done")

    assert store.active_duplicates("alice", ["k1"]) == set()
    assert record.state == JobState.SUCCESS
    assert record.updates == ()  # apply returns the new state, not the history
    stored = store.get(job_id)
    assert stored is not None
    assert [(u.state, u.status) for u in stored.updates] == [
        (JobState.IN_QUEUE, "queued"),
        (JobState.RUNNING, "running"),
        (JobState.SUCCESS, "done"),
    ]
    assert [j.id for j in store.active_jobs()] == []


def test_updates_are_appended_and_read_back_in_order(store: Store) -> None:
    (job_id,) = store.insert_jobs([new_job()], NOW, "queued")
    for i in range(5):
        store.apply(job_id, NOW + i, state=None, status=f"note {i}")
    store.add_extension(job_id, 60_000)
    store.set_handle(job_id, {"pid": 42, "nested": {"ok": True}}, "p-42")

    record = store.get(job_id)
    assert record is not None
    assert [u.status for u in record.updates] == ["queued"] + [f"note {i}" for i in range(5)]
    assert record.extension_ms == 60_000
    assert record.provider_handle == {"pid": 42, "nested": {"ok": True}}
    assert record.provider_job_id == "p-42"
    lean = store.get(job_id, with_updates=False)
    assert lean is not None and lean.updates == ()
    # Only decimal ids name a job; anything else is simply not found (never a database error)
    for nonsense in ("x", "", "1.0", "-1", "99999999999999999999", "\u0661"):
        assert store.get(nonsense) is None


# ---- browse ----


@pytest.fixture
def jobs(store: Store) -> dict[str, str]:
    """Alice's jobs (one per ms of creation time) and one of Bob's, by a short name."""
    made: dict[str, str] = {}
    layout = [
        ("script-1", new_job(name="Nightly build")),
        ("web", new_job(app="acme-web-application", name="web frontend")),
        ("large", new_job(product="example-compute-large", name="big 50% sale")),
        ("script-2", new_job(name=None)),
        ("bob", new_job("bob", name="Nightly build")),
        ("script-3", new_job(name="under_score")),
    ]
    for i, (key, job) in enumerate(layout):
        (made[key],) = store.insert_jobs([job], NOW + i, "queued")
    store.apply(made["web"], NOW + 10, state=JobState.RUNNING, status="r", provider_job_id="p-w")
    store.apply(made["script-2"], NOW + 11, state=JobState.FAILURE, status="f")
    return made


def ids(store: Store, flt: JobFilter, **kwargs: Any) -> list[str]:
    return [r.id for r in store.browse(flt, limit=kwargs.pop("limit", 100), **kwargs)]


def test_browse_lists_only_the_owners_jobs_newest_first(store: Store, jobs: dict[str, str]) -> None:
    alice = [jobs[k] for k in ("script-3", "script-2", "large", "web", "script-1")]

    assert ids(store, JobFilter("alice")) == alice
    assert ids(store, JobFilter("alice"), ascending=True) == alice[::-1]
    assert ids(store, JobFilter("bob")) == [jobs["bob"]]
    assert ids(store, JobFilter("carol")) == []


def test_browse_pages_continue_after_the_last_id_without_gaps_or_repeats(
    store: Store, jobs: dict[str, str]
) -> None:
    for ascending in (False, True):
        everything = ids(store, JobFilter("alice"), ascending=ascending)
        pages: list[list[str]] = []
        after: int | None = None
        while True:
            page = ids(store, JobFilter("alice"), limit=2, after=after, ascending=ascending)
            if not page:
                break
            pages.append(page)
            after = int(page[-1])
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [i for p in pages for i in p] == everything


def test_browse_filters(store: Store, jobs: dict[str, str]) -> None:
    def found(**fields: Any) -> set[str]:
        key_of = {v: k for k, v in jobs.items()}
        return {key_of[i] for i in ids(store, JobFilter("alice", **fields))}

    scripts = {"script-1", "script-2", "script-3", "large"}
    assert found(filter_state=JobState.RUNNING) == {"web"}
    assert found(filter_state=JobState.FAILURE) == {"script-2"}
    assert found(filter_state=JobState.SUCCESS) == set()
    assert found(filter_application="shell-script") == scripts
    assert found(filter_application="acme-web-application") == {"web"}
    assert found(filter_product_id="example-compute-large") == {"large"}
    assert found(hide_product_id="example-compute-large") == scripts - {"large"} | {"web"}
    assert found(filter_product_category="example-compute") == scripts | {"web"}
    assert found(hide_product_category="example-compute") == set()
    assert found(filter_provider="example") == scripts | {"web"}
    assert found(hide_provider="example") == set()
    assert found(filter_created_after=NOW + 2, filter_created_before=NOW + 3) == {
        "large",
        "script-2",
    }
    assert found(filter_created_by="alice") == scripts | {"web"}
    assert found(filter_created_by="bob") == set()
    assert found(filter_ids=(int(jobs["web"]), int(jobs["bob"]))) == {"web"}
    assert found(filter_provider_ids=("p-w", "nope")) == {"web"}
    # Free text: the name or application, case-insensitively; a number is also a job id
    assert found(query="nightly") == {"script-1"}
    assert found(query="ACME") == {"web"}
    assert found(query=jobs["large"]) == {"large"}
    # ... an id of at most 18 digits: a longer number is only text (it would overflow SQLite)
    assert found(query="9" * 25) == set()
    # LIKE wildcards in the query are literal characters
    assert found(query="50%") == {"large"}
    assert found(query="%") == {"large"}
    assert found(query="_") == {"script-3"}


def test_browse_through_the_service_pages_with_an_opaque_next(
    store: Store, jobs: dict[str, str]
) -> None:
    service = JobService(store, catalog(), {})
    flags = JobIncludeFlags()

    first = service.browse("alice", flags, PaginationFields(items_per_page=3))
    assert [j.id for j in first.items] == [jobs[k] for k in ("script-3", "script-2", "large")]
    assert first.next == jobs["large"]
    assert first.items_per_page == 3

    second = service.browse("alice", flags, PaginationFields(items_per_page=3, next=first.next))
    assert [j.id for j in second.items] == [jobs["web"], jobs["script-1"]]
    assert second.next is None

    # Without includeUpdates / includeParameters the items are lean
    assert all(j.updates == [] and j.specification.parameters is None for j in first.items)
    detailed = service.browse(
        "alice",
        JobIncludeFlags(include_updates=True, filter_state=JobState.RUNNING),
        PaginationFields(),
    )
    assert [j.id for j in detailed.items] == [jobs["web"]]
    assert [u.status for u in detailed.items[0].updates] == ["queued", "r"]


def test_every_filter_is_named_after_the_browse_flag_it_comes_from() -> None:
    flags = set(JobIncludeFlags.model_fields)

    assert set(COLUMN_FILTERS) <= flags
    assert {f.name for f in dataclasses.fields(JobFilter)} - set(COLUMN_FILTERS) == {
        "owner",
        "query",
    }


# ---- users' Unix accounts ----


def test_a_user_can_be_mapped_to_a_unix_account_and_remapped(store: Store) -> None:
    store.create_user("alice", NOW, "acct1")
    store.create_user("bob", NOW)

    assert store.unix_user_of("alice") == (True, "acct1")
    assert store.unix_user_of("bob") == (True, None)
    assert store.unix_user_of("nobody") == (False, None)

    assert store.set_unix_user("bob", "acct2") is True
    assert store.set_unix_user("nobody", "acct2") is False
    assert store.unix_user_of("bob") == (True, "acct2")
