"""Orchid's Python SDK: typed clients for every call of the Jobs API, and live follow.

    from orchid.client import Client
    from orchid.schemas.jobs import JobSpecification

    with Client("http://127.0.0.1:8080", token) as orchid:
        job_id = orchid.create(JobSpecification.model_validate({...}))
        with orchid.follow(job_id) as stream:
            for message in stream:
                ...
        print(stream.state)  # final: SUCCESS, FAILURE or EXPIRED

Requests and answers are the server's own wire models (`orchid.schemas`). Errors are the classes in
`orchid.client.errors`, all under `OrchidClientError`.
"""

from orchid.client.async_client import AsyncClient, AsyncFollowStream
from orchid.client.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    OrchidClientError,
    PermissionDeniedError,
    ProtocolError,
    ServerError,
    StreamBroken,
    Unreachable,
)
from orchid.client.follow import exit_code
from orchid.client.options import Duration, to_duration
from orchid.client.outputs import mount
from orchid.client.params import MissingParameter, ParameterError, parameter_values
from orchid.client.sync import Client, FollowStream

__all__ = [
    "ApiError",
    "AsyncClient",
    "AsyncFollowStream",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "Duration",
    "FollowStream",
    "MissingParameter",
    "NotFoundError",
    "OrchidClientError",
    "ParameterError",
    "PermissionDeniedError",
    "ProtocolError",
    "ServerError",
    "StreamBroken",
    "Unreachable",
    "exit_code",
    "mount",
    "parameter_values",
    "to_duration",
]
