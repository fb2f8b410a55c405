"""The service gives every job its user's Unix account (JobRun.identity), and the same one after a
restart; a user without a usable account gets a 403 and no job. Real accounts, a real SQLite store,
the scripted fake provider (what the provider does with the identity is the sandbox's business)."""

from __future__ import annotations

import asyncio
import os
import pwd
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from orchid.domain.sandbox import UnixIdentity
from orchid.errors import Forbidden
from orchid.identity.accounts import AccountUnavailable
from orchid.identity.names import account_name
from orchid.runtime import build_files
from orchid.service.identities import Identities
from orchid.service.jobs import JobService
from orchid.settings import Settings
from orchid.storage.tree import Owner
from orchid.store import migrate
from orchid.store.repository import Store
from tests.fakes import FakeProvider
from tests.identity.unix import need_root, orchid_accounts_of, throwaway_account, unique
from tests.service.helpers import asynchronous, catalog, shell

NOW = 1_700_000_000_000


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.from_url(f"sqlite:///{tmp_path / 'orchid.db'}")
    migrate.upgrade(store.engine)
    try:
        yield store
    finally:
        store.close()


@asynccontextmanager
async def service(
    store: Store, provider: FakeProvider, identities: Identities
) -> AsyncIterator[JobService]:
    svc = JobService(store, catalog(), {provider.id: provider}, identities=identities)
    provider.connect(svc.on_fact)
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


def identity_of(account: str) -> UnixIdentity:
    entry = pwd.getpwnam(account)
    return UnixIdentity(entry.pw_name, entry.pw_uid, entry.pw_gid)


@asynchronous
async def test_a_user_without_mapping_runs_as_its_own_orchid_account_created_on_first_job(
    store: Store,
) -> None:
    need_root()
    user = unique("svc")
    store.create_user(user, NOW)
    provider = FakeProvider()
    with orchid_accounts_of(user):
        async with service(store, provider, Identities(store)) as svc:
            [job_id] = await svc.create(user, [shell()])

        created = identity_of(account_name(user))
        assert provider.submitted[0].identity == created
        assert created.uid != 0
        record = store.get(job_id)
        assert record is not None and record.run_as == created


@asynchronous
async def test_a_mapped_user_runs_as_its_account_and_a_restart_keeps_it(store: Store) -> None:
    with throwaway_account() as first, throwaway_account() as second:
        store.create_user("alice", NOW, first)
        provider = FakeProvider()
        async with service(store, provider, Identities(store)) as svc:
            [job_id] = await svc.create("alice", [shell()])
        assert provider.submitted[0].identity == identity_of(first)

        # The operator remaps alice while Orchid is down: the running job keeps its account,
        # her next job gets the new one.
        store.set_unix_user("alice", second)
        again = FakeProvider()
        async with service(store, again, Identities(store)) as svc:
            assert [r.job_id for r in again.recovered[0]] == [job_id]
            assert again.recovered[0][0].identity == identity_of(first)
            await svc.create("alice", [shell("echo next")])
        assert again.submitted[0].identity == identity_of(second)


@asynchronous
async def test_without_root_every_user_runs_as_the_service_account(store: Store) -> None:
    store.create_user("alice", NOW)
    store.create_user("bob", NOW)
    provider = FakeProvider()
    as_service = Identities(store, as_root=lambda: False)
    async with service(store, provider, as_service) as svc:
        await svc.create("alice", [shell()])
        await svc.create("bob", [shell()])
    me = UnixIdentity(pwd.getpwuid(os.geteuid()).pw_name, os.geteuid(), os.getegid())
    assert [run.identity for run in provider.submitted] == [me, me]


@asynchronous
async def test_a_user_whose_account_is_gone_or_root_gets_a_403_and_no_job(store: Store) -> None:
    with throwaway_account() as account:
        store.create_user("alice", NOW, account)
    store.create_user("bob", NOW, "root")  # written behind the CLI's back
    provider = FakeProvider()
    async with service(store, provider, Identities(store)) as svc:
        for user, why in (("alice", "no Unix account named"), ("bob", "uid 0")):
            with pytest.raises(AccountUnavailable, match=why) as refused:
                await svc.create(user, [shell()])
            assert isinstance(refused.value, Forbidden)
            assert refused.value.error_code == "UNIX_ACCOUNT_UNAVAILABLE"
    assert provider.submitted == []
    assert store.count_jobs() == 0


@asynchronous
async def test_two_first_jobs_at_once_share_one_new_account(store: Store) -> None:
    need_root()
    user = unique("two")
    store.create_user(user, NOW)
    provider = FakeProvider()
    with orchid_accounts_of(user):
        async with service(store, provider, Identities(store)) as svc:
            await asyncio.gather(
                svc.create(user, [shell("echo 1")]), svc.create(user, [shell("echo 2")])
            )
        assert {run.identity for run in provider.submitted} == {identity_of(account_name(user))}


def test_an_answer_is_remembered_briefly_then_a_new_mapping_counts(store: Store) -> None:
    with throwaway_account() as first, throwaway_account() as second:
        store.create_user("alice", NOW, first)
        identities = Identities(store, ttl_seconds=0.3)
        assert identities.of("alice") == identity_of(first)

        store.set_unix_user("alice", second)  # `orchid users map` while the server runs
        assert identities.of("alice") == identity_of(first)  # remembered
        deadline = time.monotonic() + 10
        while identities.known("alice") is not None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert identities.of("alice") == identity_of(second)


@asynchronous
async def test_first_uses_of_the_home_drive_at_once_all_find_its_folders(
    store: Store, tmp_path: Path
) -> None:
    # Given a user's first requests arriving together (the first job's folder, a browse, ...)
    # while the account its files belong to takes a while to make (a slow useradd)
    def slow_first_owner(user: str) -> Owner:
        time.sleep(0.3)
        return Owner.current()

    settings = Settings(data_dir=tmp_path)
    files = build_files(settings, store, Identities(store, as_root=lambda: False))
    files.identity = slow_first_owner
    files.start()
    store.create_user("alice", NOW)

    async def first_use() -> bool:
        drive = await files.home("alice")
        return (files.root / drive.id / "Jobs").is_dir()

    # Then each of them finds the drive's folders made when it gets the drive
    try:
        assert await asyncio.gather(*(first_use() for _ in range(8))) == [True] * 8
    finally:
        files.close()
