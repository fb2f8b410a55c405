"""The job service: the only place where a job's state changes.

Every change goes through `_transition`, which checks the transition table, writes the state and its
update in one transaction, and then publishes the change to followers and the expiry timer.
Providers only report facts (`on_fact`); this module decides what they mean.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from orchid.catalog import Catalog
from orchid.domain import states
from orchid.domain.limits import CreateRate, Limits
from orchid.domain.sessions import web_base_path
from orchid.domain.states import ACTIVE_STATES, JobState, can_transition, ensure_transition
from orchid.errors import (
    BadRequest,
    Conflict,
    NotFound,
    NotSupported,
    OrchidError,
    ProviderError,
    StorageFull,
)
from orchid.invocation import Command, build_command, validate_parameters
from orchid.providers.base import (
    Capabilities,
    Exited,
    Fact,
    Failed,
    JobRun,
    Mount,
    ProductShape,
    Provider,
    Queued,
    Reachable,
    Started,
    TimedOut,
    UnixIdentity,
    Unreachable,
    WebRun,
)
from orchid.schemas.apps import Application, AppParameterValue, FileValue, TextAreaValue, TextValue
from orchid.schemas.base import PageV2
from orchid.schemas.jobs import (
    Job,
    JobIncludeFlags,
    JobsExtendRequestItem,
    JobSpecification,
    JobStatus,
    PaginationFields,
)
from orchid.schemas.products import SupportByProvider
from orchid.service.browse import browse
from orchid.service.clock import now_ms
from orchid.service.events import JobEvents, Subscription
from orchid.service.expiry import ExpiryTimer
from orchid.service.files import FileService
from orchid.service.identities import Identities
from orchid.service.job_files import JobFiles
from orchid.service.pacing import Pacer, PerKeyLock
from orchid.service.views import job_view, status_view
from orchid.store.records import JobRecord, NewJob
from orchid.store.repository import Store

log = logging.getLogger(__name__)

STATUS_REACHABLE = "The scheduler is reachable again"

# How often facts that could not be recorded (disk full) are tried again.
FACT_RETRY_SECONDS = 1.0

# Jobs stored per transaction, and duplicate keys looked up per query, by a create.
_CHUNK = 100

# The state each fact that starts or ends a job moves it to, when the transition table allows the
# move from the job's current state (see JobService.on_fact).
FACT_TARGETS: Mapping[type[Fact], JobState] = {
    Started: JobState.RUNNING,
    Exited: JobState.SUCCESS,
    Failed: JobState.FAILURE,
    TimedOut: JobState.EXPIRED,
}
# The states in which the other facts add their status line.
STATUS_FACT_STATES: Mapping[type[Fact], frozenset[JobState]] = {
    Queued: frozenset({JobState.IN_QUEUE}),
    Unreachable: ACTIVE_STATES,
    Reachable: ACTIVE_STATES,
}


@dataclass(frozen=True)
class _Prepared:
    spec: JobSpecification
    new: NewJob
    provider: Provider
    command: Command
    shape: ProductShape
    app: Application
    mounts: tuple[Mount, ...] = ()
    # The folder the job's own folder (its /work) goes into; None: no output folder.
    output_parent: str | None = None


class JobService:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        providers: dict[str, Provider],
        limits: Limits | None = None,
        identities: Identities | None = None,
        files: FileService | None = None,
    ) -> None:
        """`identities` says which Unix account each user's jobs run as (decision 10); without
        it (tests of the service alone) jobs carry no identity and run as the provider decides."""
        self._store = store
        self.identities = identities
        # Without drives (some tests), jobs get no output folder and cannot use files.
        self.job_files = JobFiles(files) if files is not None else None
        self.limits = limits or Limits()
        self.create_rate = CreateRate(self.limits.creates_per_minute_per_user)
        self._catalog = catalog
        self._providers = providers
        self.events = JobEvents()
        self._creating = PerKeyLock()
        self._pending_facts: collections.deque[Fact] = collections.deque()
        self._fact_retry: asyncio.TimerHandle | None = None
        self.expiry = ExpiryTimer(self._expire_if_due)
        self._background: set[asyncio.Task[None]] = set()

    # ---- what the runtime and the other services may ask ----

    @property
    def catalog(self) -> Catalog:
        """The applications and products served now."""
        return self._catalog

    def use_catalog(self, catalog: Catalog) -> None:
        """Serve another catalog from now on (a reload); running jobs are not touched."""
        self._catalog = catalog

    def capabilities(self) -> dict[str, Capabilities]:
        """What each configured provider can do, by provider id."""
        return {pid: provider.capabilities for pid, provider in self._providers.items()}

    def application_of(self, record: JobRecord) -> Application | None:
        """The application a job runs, as the catalog has it now; None if it is gone."""
        return self._catalog.find_application(record.app_name, record.app_version)

    def provider_of(self, record: JobRecord) -> Provider | None:
        """The provider a job runs on; None if it is no longer configured."""
        return self._providers.get(record.product_provider)

    # ---- lifecycle ----

    async def start(self) -> None:
        """Start the providers and re-attach to every job that was active when Orchid stopped."""
        for provider in self._providers.values():
            await provider.start()
        active = self._store.active_jobs()
        by_provider: dict[str, list[JobRecord]] = {}
        for record in active:
            by_provider.setdefault(record.product_provider, []).append(record)
        for provider_id, records in by_provider.items():
            found = self._providers.get(provider_id)
            if found is None:
                for r in records:
                    self._transition(
                        r, JobState.FAILURE, f"Provider {provider_id!r} is not configured"
                    )
                continue
            provider = found
            runs = []
            for r in records:
                try:
                    identity = None if r.run_as is not None else await self._identity_of(r.owner)
                    runs.append(self._run_for(r, identity))
                except OrchidError as exc:
                    self._transition(r, JobState.FAILURE, f"Cannot run any more: {exc.why}")
                except Exception as exc:  # a stored job that no longer parses
                    log.exception("%s cannot be rebuilt", r.id)
                    self._transition(r, JobState.FAILURE, f"Cannot run any more: {_reason(exc)}")
            await self._recover(provider, runs)
            for r in records:
                current = self._store.get(r.id, with_updates=False)
                if current is None:
                    continue
                if current.state == JobState.CANCELING:
                    await self._stop_quietly(provider, r.id)
                elif current.expires_at is not None:
                    self.expiry.schedule(r.id, current.expires_at)
        log.info("recovered %d active jobs", len(active))

    async def _recover(self, provider: Provider, runs: list[JobRun]) -> None:
        """Hand the provider its active jobs. If that raises, each job is recovered alone, and
        a job whose recovery still raises fails with the reason: one broken job can never keep
        Orchid from starting or the others from being re-attached."""
        try:
            await provider.recover(runs)
            return
        except Exception:
            log.exception(
                "recovering %d jobs of %s failed; retrying one by one", len(runs), provider.id
            )
        for run in runs:
            try:
                await provider.recover([run])
            except Exception as exc:
                log.exception("%s cannot be re-attached", run.job_id)
                record = self._store.get(run.job_id, with_updates=False)
                if record is not None and not record.state.is_final:
                    self._transition(
                        record, JobState.FAILURE, f"Cannot be re-attached: {_reason(exc)}"
                    )

    async def stop(self) -> None:
        self.expiry.close()
        if self._fact_retry is not None:
            # Facts still unrecorded are not lost: after a restart the provider reports the
            # state of its jobs again (recovery).
            self._fact_retry.cancel()
            self._fact_retry = None
        for task in list(self._background):
            task.cancel()
        for provider in self._providers.values():
            await provider.stop()

    # ---- reads ----

    def job(self, job_id: str, *, with_updates: bool = True) -> JobRecord | None:
        """The stored job, whoever owns it; None if there is none (any text is accepted)."""
        return self._store.get(job_id, with_updates=with_updates)

    def owned(self, user: str, job_id: str) -> JobRecord:
        """The job if it exists and belongs to `user`; NotFound otherwise (no hint which)."""
        record = self._store.get(job_id)
        if record is None or record.owner != user:
            raise NotFound(f"permission denied or job not found ({job_id})", "JOB_NOT_FOUND")
        return record

    def subscribe(self, job_id: str) -> Subscription:
        """Be woken at every change of this job (state, update, deadline, new log lines);
        subscribe before reading the job, so no change between the two is missed."""
        return self.events.subscribe(job_id)

    def retrieve(self, user: str, job_id: str, flags: JobIncludeFlags) -> Job:
        """jobs.retrieve: the user's job on the wire, with its updates and parameters."""
        return job_view(self.owned(user, job_id), self._catalog, flags)

    def browse(
        self,
        user: str,
        flags: JobIncludeFlags,
        page: PaginationFields,
        query: str | None = None,
    ) -> PageV2[Job]:
        """jobs.browse (and jobs.search with a `query`): one page of the user's jobs."""
        return browse(self._store, self._catalog, self.limits, user, flags, page, query)

    def view(self, record: JobRecord, flags: JobIncludeFlags) -> Job:
        """A stored job on the wire (updates and parameters included)."""
        return job_view(record, self._catalog, flags)

    def status_view(self, record: JobRecord, flags: JobIncludeFlags) -> JobStatus:
        """A stored job's status on the wire."""
        return status_view(record, self._catalog, flags)

    def products(self) -> SupportByProvider:
        """jobs.retrieveProducts: every product and what its provider supports."""
        return self._catalog.support_by_provider()

    # ---- create ----

    async def create(
        self, user: str, specs: Sequence[JobSpecification], pacer: Pacer | None = None
    ) -> list[str]:
        """Validate every item, then store them all and hand them to their providers. Nothing
        is stored if any item is invalid or the jobs cannot all be stored.

        However many items there are, the work is done in small steps that yield to the event
        loop (`pacer`), so other calls and the expiry timer are never held up for more than a
        few milliseconds. One user's creates run one at a time up to the point where their jobs
        are stored, so the per-user limits and duplicate checks hold between them."""
        pacer = pacer or Pacer()
        self.limits.check_bulk(len(specs))
        async with self._creating.hold(user):
            prepared, identity = await self._checked(user, specs, pacer)
            ids = await self._store_all(prepared, pacer)
            self.create_rate.take(user, len(ids), time.monotonic())
        for job_id, p in zip(ids, prepared, strict=True):
            await pacer.tick()
            log.info("%s created by %s (%s)", job_id, user, p.spec.application.name)
            workdir = None
            if self.job_files is not None and p.output_parent is not None:
                try:
                    workdir = await self.job_files.make_workdir(user, f"{p.output_parent}/{job_id}")
                except OrchidError as exc:
                    self._fail_submitted(job_id, f"The job's folder cannot be made: {exc.why}")
                    continue
            run = JobRun(
                job_id=job_id,
                argv=p.command.argv,
                env=p.command.env,
                image=p.command.image,
                replicas=p.spec.replicas,
                product=p.shape,
                time_allocation_ms=p.new.time_allocation_ms,
                web=_web_run(p.app, job_id, p.spec.replicas),
                identity=identity,
                workdir=workdir,
                mounts=p.mounts,
            )
            try:
                await p.provider.submit(run)
            except ProviderError as exc:
                self._fail_submitted(job_id, f"The provider refused the job: {exc.why}")
            except Exception as exc:
                # Whatever a provider raises, the job is a FAILURE with the reason (decision 2),
                # never a stored IN_QUEUE job that nothing runs, and the other items go on.
                log.exception("%s submit failed", job_id)
                self._fail_submitted(job_id, f"The job could not be started: {_reason(exc)}")
        return ids

    async def _checked(
        self, user: str, specs: Sequence[JobSpecification], pacer: Pacer
    ) -> tuple[list[_Prepared], UnixIdentity | None]:
        """Every item prepared, after the per-user limits, with the account the jobs run as;
        raises on the first item that is refused."""
        self.create_rate.check(user, len(specs), time.monotonic())
        counts = self._store.active_counts(user)
        self.limits.check_jobs_per_user(
            sum(counts.values()), counts.get(JobState.IN_QUEUE, 0), len(specs)
        )
        prepared = []
        for i, spec in enumerate(specs):
            prepared.append(await self._prepare(user, spec, i, len(specs)))
            await pacer.tick()
        # The account the jobs run as: looked up (or created, the first time) before anything is
        # stored, so a user without a usable account gets a 403 and no job.
        identity = await self._identity_of(user)
        if identity is not None:
            prepared = [dataclasses.replace(p, new=_run_as(p.new, identity)) for p in prepared]
        for i, p in enumerate(prepared):
            if p.command.image is not None:
                await self._check_image(p, f"item {i}: " if len(prepared) > 1 else "")
        keys = [p.new.duplicate_key for p in prepared if p.new.duplicate_key is not None]
        duplicate = len(keys) != len(set(keys))
        for start in range(0, len(keys), _CHUNK):
            if duplicate:
                break
            duplicate = bool(self._store.active_duplicates(user, keys[start : start + _CHUNK]))
            await pacer.tick()
        if duplicate:
            raise Conflict(
                "an identical job is already active; set allowDuplicateJob to true to run it again",
                "DUPLICATE_JOB",
            )
        return prepared, identity

    async def _store_all(self, prepared: Sequence[_Prepared], pacer: Pacer) -> list[str]:
        """Store the jobs a chunk at a time, each chunk its own short transaction (SQLite has one
        writer: a single transaction of thousands of rows would hold every other write, the
        expiry's included). If a chunk cannot be stored, those already stored are removed, so
        the create stores all its jobs or none."""
        ids: list[str] = []
        now = now_ms()
        try:
            for start in range(0, len(prepared), _CHUNK):
                chunk = prepared[start : start + _CHUNK]
                ids += self._store.insert_jobs(
                    [p.new for p in chunk],
                    now,
                    states.STATUS_QUEUED,
                    [p.output_parent for p in chunk],
                )
                await pacer.tick()
        except BaseException:
            if ids:
                try:
                    self._store.delete_jobs(ids)
                except Exception:
                    log.exception("%d jobs of a failed create could not be removed", len(ids))
            raise
        return ids

    def _fail_submitted(self, job_id: str, status: str) -> None:
        # As a fact: if the disk is full it is kept and recorded later, and the create goes on.
        self.on_fact(Failed(job_id, status))

    async def _prepare(
        self, user: str, spec: JobSpecification, index: int, total: int
    ) -> _Prepared:
        where = f"item {index}: " if total > 1 else ""
        try:
            app = self._catalog.application(spec.application.name, spec.application.version)
            product = self._catalog.product(spec.product)
            provider = self._providers.get(spec.product.provider)
            if provider is None:
                raise BadRequest(
                    f"provider {spec.product.provider!r} is not available", "UNKNOWN_PROVIDER"
                )
            if spec.replicas < 1:
                raise BadRequest(
                    "you must request at least 1 node (replicas >= 1)", "INVALID_REPLICAS"
                )
            if spec.replicas > 1 and not app.invocation.allow_multi_node:
                raise BadRequest(
                    f"{app.metadata.name} cannot run on more than one node", "INVALID_REPLICAS"
                )
            self.limits.check_replicas(spec.replicas)
            self.limits.check_name(spec.name)
            if spec.time_allocation is not None and spec.time_allocation.ms <= 0:
                raise BadRequest("time allocated for job is too short", "INVALID_TIME_ALLOCATION")
            if spec.time_allocation is not None:
                self.limits.check_time_allocation(spec.time_allocation.ms)
            for param_name, value in (spec.parameters or {}).items():
                if isinstance(value, TextValue | TextAreaValue):
                    self.limits.check_parameter(param_name, value.value)
            if spec.restart_on_exit:
                raise NotSupported("restartOnExit is not supported")
            if spec.ssh_enabled:
                raise NotSupported("this application does not support SSH")
            shape = self._catalog.shape(spec.product)
            if not provider.fits(shape, spec.replicas):
                raise BadRequest(
                    f"{spec.replicas} x {product.name} does not fit provider "
                    f"{spec.product.provider!r} even when it is idle",
                    "INSUFFICIENT_CAPACITY",
                )
            _check_provider_allowed(app, spec.product.provider)
            values = validate_parameters(app, spec.parameters)
            mounts, in_job, output_parent = await self._plan_files(
                user, app, values, spec.resources, provider
            )
            command = build_command(app, in_job)
        except (BadRequest, NotFound) as exc:
            raise type(exc)(where + exc.why, exc.error_code) from exc
        duplicate_key = None
        if not spec.allow_duplicate_job:
            duplicate_key = _duplicate_key(
                spec, {k: v.model_dump(mode="json") for k, v in values.items()}
            )
        new = NewJob(
            owner=user,
            project=None,
            app_name=spec.application.name,
            app_version=spec.application.version,
            product_provider=spec.product.provider,
            product_category=spec.product.category,
            product_id=spec.product.id,
            name=spec.name,
            replicas=spec.replicas,
            specification=spec.model_dump_json(),
            duplicate_key=duplicate_key,
            time_allocation_ms=spec.time_allocation.ms if spec.time_allocation else None,
        )
        return _Prepared(
            spec=spec,
            new=new,
            provider=provider,
            command=command,
            shape=shape,
            app=app,
            mounts=mounts,
            output_parent=output_parent,
        )

    async def _plan_files(
        self,
        user: str,
        app: Application,
        values: dict[str, AppParameterValue],
        resources: Sequence[AppParameterValue] | None,
        provider: Provider,
    ) -> tuple[tuple[Mount, ...], dict[str, AppParameterValue], str | None]:
        """The job's mounts, its parameter values as the job sees them (file paths become
        in-job paths) and the folder its /work goes into (decision 12)."""
        self.limits.check_resources(
            len(resources or ()) + sum(isinstance(v, FileValue) for v in values.values())
        )
        uses_files = any(isinstance(v, FileValue) for v in (*values.values(), *(resources or ())))
        if uses_files and (self.job_files is None or not provider.capabilities.mounts):
            raise NotSupported(
                f"provider {provider.id!r} cannot make files of your drives visible in a job "
                "(resources and file parameters)",
                "MOUNTS_NOT_SUPPORTED",
            )
        if self.job_files is None:
            if resources:
                raise NotSupported(f"resources of type '{resources[0].type}' are not supported")
            return (), values, None
        plan = await self.job_files.plan(user, app, values, resources)
        return plan.mounts, plan.values, plan.jobs_folder

    async def _check_image(self, prepared: _Prepared, where: str) -> None:
        image = prepared.command.image
        assert image is not None
        provider = prepared.provider
        if not provider.capabilities.containers:
            raise NotSupported(
                f"{where}provider {provider.id!r} cannot run container applications "
                f"(application {prepared.spec.application.name} runs in image {image})",
                "CONTAINERS_NOT_SUPPORTED",
            )
        try:
            await provider.check_image(image)
        except BadRequest as exc:
            raise type(exc)(where + exc.why, exc.error_code) from exc

    async def _identity_of(self, user: str) -> UnixIdentity | None:
        """The account `user`'s jobs run as (off the event loop: it may run useradd).
        Raises AccountUnavailable."""
        if self.identities is None:
            return None
        return self.identities.known(user) or await asyncio.to_thread(self.identities.of, user)

    def _run_for(self, record: JobRecord, identity: UnixIdentity | None = None) -> JobRun:
        """The run of a stored job, as the account it was created with (`identity` for a job
        stored before accounts were recorded)."""
        spec = JobSpecification.model_validate_json(record.specification)
        app = self._catalog.application(spec.application.name, spec.application.version)
        values = validate_parameters(app, spec.parameters)
        mounts: tuple[Mount, ...] = ()
        workdir = None
        if self.job_files is not None:
            # A job that never started is checked like a new one (its files may have changed);
            # one that runs keeps running whatever became of them.
            started = record.provider_handle is not None
            try:
                mounts, values = self.job_files.replan(
                    record.owner, app, values, spec.resources, bind=not started
                )
                if record.output_folder is not None:
                    workdir = self.job_files.workdir(record.owner, record.output_folder)
            except OrchidError as exc:
                if not started:
                    raise
                log.warning("%s files cannot be resolved again: %s", record.id, exc.why)
        command = build_command(app, values)
        return JobRun(
            job_id=record.id,
            argv=command.argv,
            env=command.env,
            image=command.image,
            replicas=record.replicas,
            product=self._catalog.shape(spec.product),
            time_allocation_ms=record.time_limit_ms,
            handle=record.provider_handle,
            cancelling=record.state == JobState.CANCELING,
            web=_web_run(app, record.id, record.replicas),
            identity=record.run_as or identity,
            workdir=workdir,
            mounts=mounts,
        )

    # ---- extend and terminate ----

    async def extend(self, user: str, items: Sequence[JobsExtendRequestItem]) -> None:
        """Move each job's deadline by exactly the requested time. Every item is checked before
        any is applied; a provider refusal rolls that item back and stops there."""
        self.limits.check_bulk(len(items))
        checked: list[tuple[JobRecord, int, Provider]] = []
        for item in items:
            record = self.owned(user, item.job_id)
            ms = item.requested_time.ms
            if ms <= 0:
                raise BadRequest("requestedTime must be longer than 0", "INVALID_TIME_ALLOCATION")
            already = (record.time_limit_ms or 0) + sum(
                m for r, m, _ in checked if r.id == record.id
            )
            self.limits.check_time_allocation(
                already + ms, "the time allocation with its extensions"
            )
            if record.state.is_final or record.state == JobState.CANCELING:
                raise Conflict(
                    f"job {record.id} has ended ({record.state}) and cannot be extended",
                    "JOB_NOT_ACTIVE",
                )
            if record.time_allocation_ms is None:
                raise BadRequest(
                    f"job {record.id} has no time allocation, so there is nothing to extend",
                    "NO_TIME_ALLOCATION",
                )
            provider = self._provider(record)
            if not provider.capabilities.time_extension:
                raise NotSupported("time extension is not supported by this provider")
            checked.append((record, ms, provider))
        for record, ms, provider in checked:
            # Persist first: if Orchid crashes after the provider call, the deadline is not lost.
            self._store.add_extension(record.id, ms)
            current = self._store.get(record.id, with_updates=False)
            assert current is not None and current.time_limit_ms is not None
            try:
                await provider.extend(record.id, current.time_limit_ms)
            except ProviderError:
                self._store.add_extension(record.id, -ms)
                raise
            if current.expires_at is not None:
                self.expiry.schedule(record.id, current.expires_at)
            self.events.publish(record.id)
            log.info("%s extended by %d ms", record.id, ms)

    async def terminate(self, user: str, job_ids: Iterable[str]) -> None:
        """Ask each job to stop. Idempotent: final jobs are left alone, and a job that is already
        cancelling is asked again (so a request the provider could not take can be retried)."""
        ids = list(job_ids)
        self.limits.check_bulk(len(ids))
        records = [self.owned(user, job_id) for job_id in ids]
        for record in records:
            if record.state.is_final:
                continue
            if record.state != JobState.CANCELING:
                self._transition(record, JobState.CANCELING, states.STATUS_CANCELING)
            await self._provider(record).terminate(record.id)

    # ---- facts from providers ----

    def on_fact(self, fact: Fact) -> None:
        """Turn a provider's fact into a state change or a status line (the sink every provider
        reports to). Facts about unknown jobs are logged and dropped; nothing here raises.

        A fact that ends or starts a job names its target state in `FACT_TARGETS`, and moves the
        job there exactly when domain/states.py's transition table allows it from the job's
        current state. A fact too late for its move changes nothing: the user's cancel or the
        expiry came first (an Exited after EXPIRED, a TimedOut while CANCELING), or the job had
        already ended. So Exited and Failed end any active job, TimedOut only a RUNNING one, and
        Started only moves a job IN_QUEUE (a late Started still records the handle, which a
        restart needs to stop the job). An Exited ends as cancelled when the user cancelled the
        job (CANCELING) or the scheduler says someone else did.

        The other facts only add a status line, once per distinct text: Queued while the job
        still waits, Unreachable and Reachable while it is active.

        A fact that cannot be recorded because the disk is full is kept, in order with those
        that arrive after it, and applied once there is room again (tried every second).
        """
        if self._pending_facts:
            self._pending_facts.append(fact)  # behind the ones waiting: facts keep their order
            return
        try:
            self._apply_fact(fact)
        except StorageFull:
            log.error(
                "%s %s cannot be recorded (disk full); kept", fact.job_id, type(fact).__name__
            )
            self._pending_facts.append(fact)
            self._retry_facts_later()

    def _retry_facts_later(self) -> None:
        if self._fact_retry is None:
            loop = asyncio.get_running_loop()
            self._fact_retry = loop.call_later(FACT_RETRY_SECONDS, self._retry_facts)

    def _retry_facts(self) -> None:
        self._fact_retry = None
        while self._pending_facts:
            fact = self._pending_facts[0]
            try:
                self._apply_fact(fact)
            except StorageFull:
                self._retry_facts_later()
                return
            except Exception:
                log.exception("%s %s dropped", fact.job_id, type(fact).__name__)
            self._pending_facts.popleft()
        log.info("every fact kept while the disk was full is recorded")

    def _apply_fact(self, fact: Fact) -> None:
        record = self._store.get(fact.job_id, with_updates=False)
        if record is None:
            log.warning("%s fact for an unknown job ignored: %r", fact.job_id, fact)
            return
        target = FACT_TARGETS.get(type(fact))
        if target is None:
            status = _status_line(fact)
            if status is not None and record.state in STATUS_FACT_STATES.get(
                type(fact), frozenset()
            ):
                self._status(record, status)
        elif not can_transition(record.state, target):
            if isinstance(fact, Started):
                self._store.set_handle(record.id, fact.handle, fact.provider_job_id)
        elif isinstance(fact, Started):
            self._transition(
                record,
                target,
                states.STATUS_RUNNING,
                started_at=now_ms(),
                handle=fact.handle,
                provider_job_id=fact.provider_job_id,
                output_folder=record.output_folder,
            )
        else:
            self._transition(record, target, _end_status(record, fact))

    # ---- the one place where states change ----

    def _transition(
        self,
        record: JobRecord,
        new: JobState,
        status: str,
        *,
        started_at: int | None = None,
        handle: dict[str, object] | None = None,
        provider_job_id: str | None = None,
        output_folder: str | None = None,
    ) -> JobRecord:
        ensure_transition(record.state, new)
        updated = self._store.apply(
            record.id,
            now_ms(),
            state=new,
            status=status,
            started_at=started_at,
            handle=handle,
            provider_job_id=provider_job_id,
            output_folder=output_folder,
        )
        log.info("%s %s -> %s: %s", record.id, record.state, new, status)
        if updated.expires_at is not None:
            self.expiry.schedule(record.id, updated.expires_at)
        self.events.publish(record.id)
        return updated

    def _status(self, record: JobRecord, status: str) -> None:
        """A status-only update (no state change), appended once per distinct message."""
        if self._store.last_status(record.id) == status:
            return
        self._store.apply(record.id, now_ms(), state=None, status=status)
        self.events.publish(record.id)

    def _expire_if_due(self, job_id: str) -> int | None:
        record = self._store.get(job_id, with_updates=False)
        if record is None or record.expires_at is None:
            return None
        if record.expires_at > now_ms():
            return record.expires_at
        if record.state == JobState.RUNNING:
            self._transition(record, JobState.EXPIRED, states.STATUS_EXPIRED)
            self._spawn(self._stop_quietly(self._provider(record), record.id))
        return None

    async def _stop_quietly(self, provider: Provider, job_id: str) -> None:
        # A stop request nobody waits for (expiry, or a cancel resumed after a restart): a
        # provider that cannot take it now (scheduler unreachable) keeps it and retries, so the
        # error is only logged.
        try:
            await provider.terminate(job_id)
        except ProviderError as exc:
            log.warning("%s cannot be stopped yet: %s", job_id, exc.why)

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _provider(self, record: JobRecord) -> Provider:
        provider = self._providers.get(record.product_provider)
        if provider is None:
            raise ProviderError(f"provider {record.product_provider!r} is not configured")
        return provider


def _run_as(new: NewJob, identity: UnixIdentity) -> NewJob:
    return dataclasses.replace(
        new, run_as_user=identity.name, run_as_uid=identity.uid, run_as_gid=identity.gid
    )


def _web_run(app: Application, job_id: str, replicas: int) -> WebRun | None:
    """Where a WEB application's replicas serve their interface; None for other applications."""
    if app.invocation.application_type != "WEB":
        return None
    port = app.invocation.web.port if app.invocation.web is not None else None
    return WebRun(port, tuple(web_base_path(job_id, rank) for rank in range(replicas)))


def _end_status(record: JobRecord, fact: Fact) -> str:
    """The status written with the state a fact ends a job in."""
    match fact:
        case Exited(exit_codes=codes, cancelled=cancelled, reason=reason):
            if record.state == JobState.CANCELING or cancelled:
                return states.STATUS_CANCELLED
            status = states.status_completed(codes)
            return f"{status}: {reason}" if reason else status
        case Failed(reason=reason):
            return reason
        case TimedOut():
            return states.STATUS_EXPIRED
    raise TypeError(f"{type(fact).__name__} does not end a job")


def _status_line(fact: Fact) -> str | None:
    match fact:
        case Queued(reason=reason):
            return f"Your job is waiting for resources ({reason})"
        case Unreachable(reason=reason):
            return f"The scheduler is unreachable: {reason}"
        case Reachable():
            return STATUS_REACHABLE
    return None


def _reason(exc: BaseException) -> str:
    """An unexpected exception as a status line (bounded: the value it names may be huge)."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "..."


def _check_provider_allowed(app: Application, provider_id: str) -> None:
    """The tool's `supportedProviders` (UCloud's field; null means every provider)."""
    tool = app.invocation.tool.tool
    allowed = tool.description.supported_providers if tool is not None else None
    if allowed is not None and provider_id not in allowed:
        listed = ", ".join(allowed) or "none"
        raise BadRequest(
            f"{app.metadata.name}@{app.metadata.version} cannot run on provider {provider_id!r} "
            f"(its tool supports: {listed})",
            "UNSUPPORTED_PROVIDER",
        )


def _duplicate_key(spec: JobSpecification, parameters: dict[str, object]) -> str:
    """Identity of a job for allowDuplicateJob=false: application, product, parameters,
    resources, replicas and name."""
    identity = {
        "application": spec.application.model_dump(mode="json"),
        "product": spec.product.model_dump(mode="json"),
        "parameters": parameters,
        "resources": [r.model_dump(mode="json") for r in spec.resources or []],
        "replicas": spec.replicas,
        "name": spec.name,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
