"""The composition root: settings in, a running store + catalog + providers + service out."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchid.catalog import ApplicationFiles, Catalog, Loaded, status
from orchid.catalog.loader import builtin_apps_dir, builtin_products
from orchid.config import (
    LocalProviderConfig,
    OrchidConfig,
    SlurmProviderConfig,
    default_config,
    load_config,
)
from orchid.domain.durations import MS_PER_HOUR
from orchid.domain.images import valid_image_reference
from orchid.domain.limits import Limits
from orchid.errors import OrchidError
from orchid.providers import podman
from orchid.providers.base import Capabilities, Fact, FactSink, Provider
from orchid.providers.local import LocalProvider, limits
from orchid.providers.podman import Podman
from orchid.providers.slurm import SlurmProvider
from orchid.schemas.products import ComputeProduct
from orchid.service.accounts import Accounts
from orchid.service.files import FileService
from orchid.service.identities import Identities
from orchid.service.jobs import JobService
from orchid.service.logs import LogWatcher
from orchid.service.sessions import Sessions, load_key
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


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_bulk_items=settings.max_bulk_items,
        max_name_chars=settings.max_name_chars,
        max_parameter_bytes=settings.max_parameter_bytes,
        max_time_allocation_ms=settings.max_time_allocation_hours * MS_PER_HOUR,
        max_replicas=settings.max_replicas,
        max_resources=settings.max_resources,
        max_query_chars=settings.max_query_chars,
        max_active_jobs_per_user=settings.max_active_jobs_per_user,
        max_queued_jobs_per_user=settings.max_queued_jobs_per_user,
        creates_per_minute_per_user=settings.creates_per_minute_per_user,
    )


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


@dataclass
class Setup:
    """What the configuration says to serve. `applications` can be loaded again (reload)."""

    config: OrchidConfig
    applications: ApplicationFiles
    products: list[ComputeProduct]
    loaded: Loaded

    def catalog(self, capabilities: Mapping[str, Capabilities] | None = None) -> Catalog:
        return Catalog(self.loaded.applications, self.products, capabilities)

    def reload(self, capabilities: Mapping[str, Capabilities] | None = None) -> Catalog:
        self.loaded = self.applications.load()
        return self.catalog(capabilities)


def load_setup(settings: Settings) -> Setup:
    """The providers to run and the catalog to serve: the built-in applications and those of the
    configuration file's `[catalog] directories`, with its products (`settings.config`), or the
    built-in catalog without one.

    Raises ValueError if the configuration file is unreadable or wrong. A wrong application file
    is not an error here: it is in `loaded.problems`, and the rest is served."""
    config = default_config() if settings.config is None else load_config(settings.config)
    files = ApplicationFiles([builtin_apps_dir(), *config.catalog.directories])
    loaded = files.load()
    for problem in loaded.problems:
        log.error("catalog: %s", problem)
    return Setup(config, files, config.products(builtin_products()), loaded)


def container_engine(settings: Settings) -> Podman | None:
    """podman with Orchid's storage in the data directory, or None (logged) when this machine
    cannot run containers."""
    missing = podman.available()
    if missing is not None:
        log.info("container applications are not available: %s", missing)
        return None
    engine = Podman(settings.data_dir / "containers")
    try:
        engine.prepare()
    except OSError as error:
        log.warning("container applications are not available: %s", error)
        return None
    return engine


def import_image(settings: Settings, archive: Path, name: str | None) -> str:
    """Put an image archive into Orchid's container storage: a root filesystem tarball (imported
    as `name`) or an archive of `podman save`/`docker save` (loaded under its own name). Returns
    podman's output; raises ValueError with podman's message."""
    engine = container_engine(settings)
    if engine is None:
        raise ValueError(podman.available() or "podman cannot be set up in the data directory")
    if name is None:
        argv = engine.load_argv(archive)
    elif not valid_image_reference(name):
        raise ValueError(f"{name!r} is not an image reference (like localhost/name:tag)")
    else:
        argv = engine.import_argv(archive, name)
    done = subprocess.run(argv, env=engine.env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError(done.stderr.strip() or f"podman exited {done.returncode}")
    return done.stdout.strip()


def list_images(settings: Settings) -> list[str]:
    """Every image in Orchid's container storage, as 'reference<TAB>size' lines."""
    engine = container_engine(settings)
    if engine is None:
        return []
    done = subprocess.run(engine.images_argv(), env=engine.env(), capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


def build_providers(
    config: OrchidConfig, settings: Settings, sink: FactSink
) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    engine = container_engine(settings)
    for provider_id, declared in config.providers.items():
        if isinstance(declared, LocalProviderConfig):
            providers[provider_id] = LocalProvider(
                provider_id,
                settings.jobs_dir,
                sink,
                cpus=declared.cpus or settings.local_cpus or os.cpu_count() or 1,
                memory_gib=declared.memory_gib or settings.local_memory_gib or machine_memory_gib(),
                grace_seconds=settings.terminate_grace_seconds,
                containers=engine,
                sandbox=declared.sandbox,
            )
        elif isinstance(declared, SlurmProviderConfig):
            providers[provider_id] = SlurmProvider(provider_id, declared.options(), sink)
    return providers


@dataclass
class Runtime:
    settings: Settings
    store: Store
    setup: Setup
    service: JobService
    log_watcher: LogWatcher
    accounts: Accounts
    files: FileService
    sessions: Sessions
    limits: Limits

    @property
    def catalog(self) -> Catalog:
        return self.service.catalog

    def reload_catalog(self) -> Loaded:
        """Read the application files again and serve what they now say. Running jobs are not
        touched (they run what they were started with); a broken file is reported and its
        previous version stays. The outcome is also written to the data directory
        (`catalog.status`), where `orchid apps reload` reads it."""
        catalog = self.setup.reload(self.service.capabilities())
        self.service.use_catalog(catalog)
        loaded = self.setup.loaded
        for problem in loaded.problems:
            log.error("catalog: %s", problem)
        log.info(
            "catalog reloaded: %d applications, %d problems",
            len(catalog.applications()),
            len(loaded.problems),
        )
        self.write_catalog_status()
        return loaded

    def write_catalog_status(self) -> None:
        try:
            status.write_status(self.settings.data_dir, self.setup.loaded)
        except OSError as error:
            log.warning("cannot write the catalog status: %s", error)

    async def start(self) -> None:
        self.files.start()
        self.log_watcher.start()
        await self.service.start()
        self.write_catalog_status()
        status.write_pid(self.settings.data_dir)

    async def stop(self) -> None:
        status.remove_pid(self.settings.data_dir)
        await self.service.stop()
        self.log_watcher.close()
        self.files.close()
        self.store.close()


def secure_data_dir(settings: Settings) -> None:
    """The data directory holds the database, every job's bookkeeping and (by default) the
    drives: only the service's account may enter it (mode 0700). Raises OSError."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if data_dir.stat().st_uid == os.geteuid():
        os.chmod(data_dir, 0o700)


def secure_database(settings: Settings) -> None:
    """An SQLite database file (and its journal files) readable by the service's account alone."""
    url = settings.effective_database_url
    if not url.startswith("sqlite:///"):
        return
    database = Path(url.removeprefix("sqlite:///"))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_uid == os.geteuid():
                os.chmod(path, 0o600)


def log_limits(config: OrchidConfig) -> None:
    """Say once, at start, that products' CPU/memory limits are not enforced, and why."""
    if any(isinstance(p, LocalProviderConfig) for p in config.providers.values()):
        log.warning(
            "local jobs' CPU and memory limits are not enforced: %s", limits.not_enforced_because()
        )


def build_runtime(settings: Settings, *, auto_migrate: bool = True) -> Runtime:
    secure_data_dir(settings)
    setup = load_setup(settings)
    store = open_store(settings, auto_migrate=auto_migrate)
    secure_database(settings)
    log_limits(setup.config)
    service_ref: list[JobService] = []

    def sink(fact: Fact) -> None:
        service_ref[0].on_fact(fact)

    providers = build_providers(setup.config, settings, sink)
    catalog = setup.catalog({pid: p.capabilities for pid, p in providers.items()})
    identities = Identities(store)
    files = build_files(settings, store, identities)
    limits = limits_of(settings)
    service = JobService(store, catalog, providers, limits, identities=identities, files=files)
    service_ref.append(service)
    watcher = LogWatcher(service.events.publish, poll_seconds=settings.log_poll_seconds)
    sessions = Sessions(service, load_key(settings.data_dir / "session.key"))
    return Runtime(
        settings,
        store,
        setup,
        service,
        watcher,
        Accounts(store),
        files,
        sessions,
        limits,
    )


def build_files(settings: Settings, store: Store, identities: Identities) -> FileService:
    """Drives whose files belong to their owner's Unix account (decision 10), mode 0700."""
    root = settings.effective_storage_root

    def owner(user: str) -> Owner:
        identity = identities.of(user)
        return Owner(identity.uid, identity.gid)

    return FileService(
        DriveStore(store.engine),
        root,
        identity=owner,
        quota_bytes=settings.storage_quota_bytes,
        uploads=Uploads(
            root, idle_seconds=settings.upload_idle_seconds, per_user=settings.uploads_per_user
        ),
        downloads=Downloads(lifetime_seconds=settings.download_token_seconds, capacity=100_000),
    )
