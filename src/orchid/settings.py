"""One settings object. Every field has a default and a description; environment names are
derived from the field name with the ORCHID_ prefix (ORCHID_DATA_DIR, ORCHID_DATABASE_URL, ...)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "orchid"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORCHID_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8080, description="Port the HTTP server listens on.")
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the SQLite database, job folders and logs live.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; defaults to SQLite (WAL) at <data_dir>/orchid.db. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    local_cpus: int | None = Field(
        None, description="CPUs the local provider may hand out; defaults to the machine's cores."
    )
    local_memory_gib: int | None = Field(
        None, description="Memory (GiB) the local provider may hand out; defaults to the machine's."
    )
    terminate_grace_seconds: float = Field(
        5.0, description="Time between SIGTERM and SIGKILL when a job is stopped."
    )
    log_poll_seconds: float = Field(
        0.5,
        gt=0,
        description="Interval of the stat poll of followed job folders, which delivers log "
        "lines written where inotify cannot see (network filesystems, Slurm nodes).",
    )
    keepalive_seconds: float = Field(
        15.0, description='Interval of {"ping":"pong"} keep-alive frames on follow streams.'
    )
    config: Path | None = Field(
        None,
        description="TOML file declaring the providers and their products (see the README); "
        "without one, Orchid serves the built-in local provider only.",
    )

    storage_root: Path | None = Field(
        None,
        description="Where drives keep their files (one folder per drive); defaults to "
        "<data_dir>/files. On Slurm, a directory the compute nodes share.",
    )
    storage_quota_bytes: int | None = Field(
        None, ge=0, description="Bytes each user may keep in their drives; unset = no quota."
    )
    upload_chunk_max_bytes: int = Field(
        32_000_000, ge=1, description="Largest body of one chunk of a chunked upload (413 above)."
    )
    upload_idle_seconds: float = Field(
        24 * 3600.0, description="An upload session unused for this long is dropped with its bytes."
    )
    uploads_per_user: int = Field(100, ge=1, description="Open upload sessions allowed per user.")
    download_token_seconds: float = Field(
        3600.0, description="How long a token from createDownload can be used."
    )

    # ---- bounds (decision 15): every input has one; the README's Limits section lists them ----
    max_body_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        description="Largest request body under /api/ (413 REQUEST_TOO_LARGE, refused before it "
        "is read whole). Upload chunks have their own bound (upload_chunk_max_bytes).",
    )
    max_bulk_items: int = Field(
        1000, ge=1, description="Most items in one bulk request (400 TOO_MANY_ITEMS)."
    )
    max_name_chars: int = Field(
        200, ge=1, description="Longest job name, in characters (400 INVALID_NAME)."
    )
    max_parameter_bytes: int = Field(
        64 * 1024,
        ge=1,
        le=128 * 1024,
        description="Largest value of one text parameter, in UTF-8 bytes (400 "
        "PARAMETER_TOO_LARGE); at most 128 KiB, the kernel's limit for one argument.",
    )
    max_time_allocation_hours: int = Field(
        24 * 365,
        ge=1,
        le=1_000_000,
        description="Longest time allocation, and longest allocation plus extensions, in hours "
        "(400 TIME_ALLOCATION_TOO_LONG).",
    )
    max_replicas: int = Field(
        10_000, ge=1, le=1_000_000, description="Most replicas of one job (400 INVALID_REPLICAS)."
    )
    max_resources: int = Field(
        100,
        ge=0,
        le=10_000,
        description="Most files and folders one job mounts: resources and file parameters "
        "together (400 TOO_MANY_RESOURCES).",
    )
    max_query_chars: int = Field(
        200, ge=1, description="Longest search query and text filter value (400)."
    )

    max_active_jobs_per_user: int = Field(
        2000,
        ge=1,
        description="Most jobs one user may have active (queued, running or cancelling), "
        "admins included (429 TOO_MANY_ACTIVE_JOBS).",
    )
    max_queued_jobs_per_user: int = Field(
        1000,
        ge=1,
        description="Most jobs one user may have waiting in the queue (429 TOO_MANY_QUEUED_JOBS).",
    )
    creates_per_minute_per_user: int = Field(
        3000,
        ge=1,
        description="Jobs one user may create per minute, in bursts up to as many (429 "
        "RATE_LIMITED with Retry-After).",
    )
    max_websockets: int = Field(
        20_000,
        ge=1,
        description="Most WebSockets open at once; more are closed at once with code 1013.",
    )
    max_streams_per_socket: int = Field(
        100, ge=1, description="Most follow streams open on one WebSocket (error frame 429)."
    )
    ws_max_frame_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest follow-socket frame a client may send (error frame 413).",
    )
    ws_auth_seconds: float = Field(
        10.0,
        gt=0,
        description="A WebSocket with no authenticated stream after this long is closed (1008).",
    )
    ws_send_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="A follower that reads nothing for this long while frames wait for it is "
        "disconnected (close code 4001); it can reconnect, nothing is lost.",
    )
    create_step_ms: float = Field(
        2.0,
        gt=0,
        le=1000,
        description="Longest stretch a create of many items works before it lets other calls, "
        "follow streams and the expiry timer run (it is done in steps; see service/pacing.py).",
    )

    @property
    def effective_storage_root(self) -> Path:
        return self.storage_root or self.data_dir / "files"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'orchid.db'}"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"
