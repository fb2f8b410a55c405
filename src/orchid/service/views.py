"""Turning stored jobs into the wire shape, honouring the include flags."""

from __future__ import annotations

from orchid.catalog import Catalog
from orchid.schemas.jobs import (
    Job,
    JobIncludeFlags,
    JobOutput,
    JobSpecification,
    JobStatus,
    JobUpdate,
    ResourceOwner,
)
from orchid.schemas.products import ProductReference, ResolvedSupport
from orchid.store.records import JobRecord, UpdateRecord


def update_view(u: UpdateRecord) -> JobUpdate:
    return JobUpdate(
        state=u.state, status=u.status, output_folder=u.output_folder, timestamp=u.timestamp
    )


def status_view(record: JobRecord, catalog: Catalog, flags: JobIncludeFlags) -> JobStatus:
    ref = ProductReference(
        id=record.product_id, category=record.product_category, provider=record.product_provider
    )
    resolved_product = resolved_support = resolved_app = None
    if flags.include_product or flags.include_support:
        product = catalog.find_product(ref)
        if product is not None and flags.include_product:
            resolved_product = product
        if product is not None and flags.include_support:
            resolved_support = ResolvedSupport(product=product, support=catalog.support(ref))
    if flags.include_application:
        resolved_app = catalog.find_application(record.app_name, record.app_version)
    parameters_json = None
    if flags.include_parameters:
        spec = JobSpecification.model_validate_json(record.specification)
        parameters_json = {"siteVersion": 3, "request": spec.model_dump(mode="json")}
    return JobStatus(
        state=record.state,
        job_parameters_json=parameters_json,
        started_at=record.started_at,
        expires_at=record.expires_at,
        resolved_application=resolved_app,
        resolved_support=resolved_support,
        resolved_product=resolved_product,
    )


def job_view(
    record: JobRecord,
    catalog: Catalog,
    flags: JobIncludeFlags,
    *,
    with_updates: bool = True,
    with_parameters: bool = True,
) -> Job:
    """The wire Job. Retrieve always carries updates and parameters (as UCloud does); browse and
    search only when asked for with includeUpdates / includeParameters."""
    spec = JobSpecification.model_validate_json(record.specification)
    shown_spec = (
        spec if with_parameters else spec.model_copy(update={"parameters": None, "resources": None})
    )
    return Job(
        id=record.id,
        owner=ResourceOwner(created_by=record.owner, project=record.project),
        updates=[update_view(u) for u in record.updates] if with_updates else [],
        specification=shown_spec,
        status=status_view(record, catalog, flags),
        created_at=record.created_at,
        # A job without an output folder (one created before Orchid had drives) has none.
        output=JobOutput(output_folder=record.output_folder) if record.output_folder else None,
        permissions=None,
        provider_generated_id=record.provider_job_id,
    )
