"""/api/jobs/interactiveSession: jobs.openInteractiveSession (spec/sessions-api.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from orchid.api.auth import User
from orchid.api.session_proxy import TOKEN_PARAM
from orchid.api.state import runtime_of
from orchid.domain.sessions import web_base_path
from orchid.schemas.base import BulkRequest, BulkResponse
from orchid.schemas.sessions import (
    JobsOpenInteractiveSessionRequestItem,
    OpenSessionShell,
    OpenSessionWeb,
    OpenSessionWithProvider,
)
from orchid.service.sessions import Opened

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


def shell_socket_path(provider_id: str) -> str:
    """Where a shell session's WebSocket is, as UCloud's provider serves it."""
    return f"/ucloud/{provider_id}/websocket"


@router.post(
    "/interactiveSession",
    response_model=BulkResponse[OpenSessionWithProvider],
    summary="jobs.openInteractiveSession",
)
async def open_interactive_session(
    request: Request, user: User, body: BulkRequest[JobsOpenInteractiveSessionRequestItem]
) -> BulkResponse[OpenSessionWithProvider]:
    opened = await runtime_of(request.app).sessions.open(user, body.items)
    domain = str(request.base_url).rstrip("/")
    return BulkResponse[OpenSessionWithProvider](
        responses=[_response(domain, session) for session in opened]
    )


def _response(domain: str, opened: Opened) -> OpenSessionWithProvider:
    if opened.kind == "web":
        url = f"{domain}{web_base_path(opened.job_id, opened.rank)}?{TOKEN_PARAM}={opened.token}"
        session: OpenSessionWeb | OpenSessionShell = OpenSessionWeb(
            job_id=opened.job_id, rank=opened.rank, redirect_client_to=url
        )
    else:
        session = OpenSessionShell(
            job_id=opened.job_id,
            rank=opened.rank,
            session_identifier=opened.token,
            domain_override="ws" + domain.removeprefix("http"),
        )
    return OpenSessionWithProvider(
        provider_domain=domain, provider_id=opened.provider_id, session=session
    )
