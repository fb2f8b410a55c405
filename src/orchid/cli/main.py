"""`orchid serve`, `orchid users ...` and `orchid db ...`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from orchid.cli.catalog_cmds import apps_app, products_app
from orchid.cli.files_cmds import files_app
from orchid.cli.images import images_app
from orchid.cli.jobs import jobs_app
from orchid.cli.login import login
from orchid.cli.run import run
from orchid.errors import OrchidError
from orchid.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Orchid: run compute jobs.")
users_app = typer.Typer(no_args_is_help=True, help="Manage users and their tokens.")
db_app = typer.Typer(no_args_is_help=True, help="Manage the database schema.")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")
app.command("login")(login)
app.command("run")(run)
app.add_typer(jobs_app, name="jobs")
app.add_typer(apps_app, name="apps")
app.add_typer(products_app, name="products")
app.add_typer(images_app, name="images")
app.add_typer(files_app, name="files")

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: ORCHID_DATA_DIR or ~/.local/share/orchid)."
    ),
]


def _settings(data_dir: Path | None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)  # type: ignore[arg-type]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
    data_dir: DataDir = None,
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the schema on start.")
    ] = True,
    log_level: Annotated[str, typer.Option(help="Log level.")] = "info",
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every HTTP request.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="TOML file declaring providers (local, slurm) and their products.",
        ),
    ] = None,
) -> None:
    """Start the service (SQLite in the data directory and the local provider by default)."""
    import uvicorn

    from orchid.api.app import create_app
    from orchid.runtime import load_setup, open_accounts

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = _settings(data_dir, host=host, port=port, config=config)
    try:
        load_setup(settings)  # a wrong configuration file stops here, before anything starts
    except ValueError as exc:
        _fail(str(exc))
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://{settings.host}:{settings.port}"
    try:
        with open_accounts(settings, auto_migrate=migrate) as accounts:
            typer.echo(f"Orchid {url} (data in {settings.data_dir})")
            if not accounts.has_users():
                token = accounts.create_user("user")
                typer.echo("Created the first user 'user'. Its token (shown once):")
                typer.echo(f"  export ORCHID_URL={url} ORCHID_TOKEN={token}")
            else:
                typer.echo("New token for an existing user: orchid users token NAME --data-dir DIR")
    except OrchidError as exc:
        _fail(exc.why)
        return
    uvicorn.run(
        create_app(settings, auto_migrate=migrate),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
        ws="websockets-sansio",
    )


UnixUser = Annotated[
    str | None,
    typer.Option(
        "--unix-user",
        metavar="ACCOUNT",
        help="Existing Unix account the user's jobs run as and files belong to (never uid 0). "
        "Default: orchid-<name>, created on first use when Orchid runs as root.",
    ),
]


@users_app.command("create")
def users_create(name: str, unix_user: UnixUser = None, data_dir: DataDir = None) -> None:
    """Create a user and print a bearer token for it (the last line of output)."""
    from orchid.runtime import open_accounts

    try:
        with open_accounts(_settings(data_dir)) as accounts:
            token = accounts.create_user(name, unix_user)
    except OrchidError as exc:
        _fail(exc.why)
        return
    mapped = f" (Unix account {unix_user})" if unix_user else ""
    typer.echo(f"Created user {name!r}{mapped}. Bearer token:", err=True)
    typer.echo(token)


@users_app.command("map")
def users_map(name: str, account: str, data_dir: DataDir = None) -> None:
    """Map an existing user to an existing Unix account (never uid 0): its next jobs run as it
    and its new files belong to it."""
    from orchid.runtime import open_accounts

    try:
        with open_accounts(_settings(data_dir)) as accounts:
            accounts.map_unix_user(name, account)
    except OrchidError as exc:
        _fail(exc.why)
        return
    typer.echo(f"User {name!r} now runs as Unix account {account!r}")


@users_app.command("list")
def users_list(data_dir: DataDir = None) -> None:
    """Every user and the Unix account its jobs run as (and its files belong to)."""
    from orchid.runtime import open_accounts

    with open_accounts(_settings(data_dir)) as accounts:
        for name, account in accounts.unix_accounts():
            typer.echo(f"{name}\t{account}")


@users_app.command("token")
def users_token(name: str, data_dir: DataDir = None) -> None:
    """Issue a new bearer token for an existing user (the last line of output)."""
    from orchid.runtime import open_accounts

    with open_accounts(_settings(data_dir)) as accounts:
        token = accounts.create_token(name)
    if token is None:
        _fail(f"no user named {name!r}")
    typer.echo(token)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Upgrade the database schema to the newest revision."""
    from orchid.runtime import open_store

    open_store(_settings(data_dir)).close()
    typer.echo("database schema is up to date")


if __name__ == "__main__":
    app()
