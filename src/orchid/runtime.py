"""The composition root: settings in, a running store + catalog + providers + service out."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from orchid.catalog import Catalog, load_default_catalog
from orchid.config import (
    LocalProviderConfig,
    OrchidConfig,
    SlurmProviderConfig,
    default_config,
    load_config,
)
from orchid.errors import OrchidError
from orchid.providers.base import Fact, FactSink, Provider
from orchid.providers.local import LocalProvider
from orchid.providers.slurm import SlurmProvider
from orchid.service.accounts import Accounts
from orchid.service.files import FileService
from orchid.service.jobs import JobService
from orchid.service.logs import LogWatcher
from orchid.settings import Settings
from orchid.storage.download import Downloads
from orchid.storage.tree import Owner
from orchid.storage.upload import Uploads
from orchid.store import migrate
from orchid.store.drives import DriveStore
from orchid.store.repository import Store

log = logging.getLogger(__name__)


class SchemaOutOfDate(OrchidError):
    error_code = "SCHEMA_OUT_OF_DATE"


def machine_memory_gib() -> int:
    return max(1, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30)


def open_store(settings: Settings, *, auto_migrate: bool = True) -> Store:
    """Open the database; migrate it to the newest schema, or refuse an out-of-date one."""
    store = Store.from_url(settings.effective_database_url)
    if auto_migrate:
        migrate.upgrade(store.engine)
    elif not migrate.is_current(store.engine):
        store.close()
        raise SchemaOutOfDate(
            "the database schema is out of date; run `orchid db upgrade` (or start without --no-migrate)"
        )
    return store


@contextmanager
def open_accounts(settings: Settings, *, auto_migrate: bool = True) -> Iterator[Accounts]:
    """The users and tokens in the database, for the commands that manage them without a server.
    Raises SchemaOutOfDate like `open_store`."""
    store = open_store(settings, auto_migrate=auto_migrate)
    try:
        yield Accounts(store)
    finally:
        store.close()


def load_setup(settings: Settings) -> tuple[OrchidConfig, Catalog]:
    """The providers to run and the catalog to serve: the built-in applications with the products
    of the configuration file (`settings.config`), or the built-in catalog without one.

    Raises ValueError if the configuration file is unreadable or wrong."""
    builtin = load_default_catalog()
    if settings.config is None:
        return default_config(), builtin
    config = load_config(settings.config)
    return config, Catalog(builtin.applications(), config.products(builtin.products()))


def build_providers(
    config: OrchidConfig, settings: Settings, sink: FactSink
) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for provider_id, declared in config.providers.items():
        if isinstance(declared, LocalProviderConfig):
            providers[provider_id] = LocalProvider(
                provider_id,
                settings.jobs_dir,
                sink,
                cpus=declared.cpus or settings.local_cpus or os.cpu_count() or 1,
                memory_gib=declared.memory_gib or settings.local_memory_gib or machine_memory_gib(),
                grace_seconds=settings.terminate_grace_seconds,
            )
        elif isinstance(declared, SlurmProviderConfig):
            providers[provider_id] = SlurmProvider(provider_id, declared.options(), sink)
    return providers


@dataclass
class Runtime:
    settings: Settings
    store: Store
    catalog: Catalog
    service: JobService
    log_watcher: LogWatcher
    accounts: Accounts
    files: FileService

    async def start(self) -> None:
        self.files.start()
        self.log_watcher.start()
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()
        self.log_watcher.close()
        self.files.close()
        self.store.close()


def build_runtime(settings: Settings, *, auto_migrate: bool = True) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config, catalog = load_setup(settings)
    store = open_store(settings, auto_migrate=auto_migrate)
    service_ref: list[JobService] = []

    def sink(fact: Fact) -> None:
        service_ref[0].on_fact(fact)

    providers = build_providers(config, settings, sink)
    catalog = catalog.with_capabilities({pid: p.capabilities for pid, p in providers.items()})
    service = JobService(store, catalog, providers)
    service_ref.append(service)
    watcher = LogWatcher(service.events.publish)
    return Runtime(
        settings, store, catalog, service, watcher, Accounts(store), build_files(settings, store)
    )


def build_files(settings: Settings, store: Store) -> FileService:
    root = settings.effective_storage_root
    return FileService(
        DriveStore(store.engine),
        root,
        identity=lambda _user: Owner.current(),
        quota_bytes=settings.storage_quota_bytes,
        uploads=Uploads(
            root, idle_seconds=settings.upload_idle_seconds, per_user=settings.uploads_per_user
        ),
        downloads=Downloads(lifetime_seconds=settings.download_token_seconds, capacity=100_000),
    )
