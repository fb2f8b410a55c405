"""Where the client goes: `orchid login` writes a per-user config file, the environment overrides it.

The file is `$XDG_CONFIG_HOME/orchid/config.toml` (default `~/.config/orchid/config.toml`), created
with mode 0600 because it holds a bearer token. `ORCHID_URL` and `ORCHID_TOKEN` take precedence.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from orchid.cli.errors import CliError

NOT_CONFIGURED = (
    "not logged in: run `orchid login URL --token TOKEN`, or set ORCHID_URL and ORCHID_TOKEN"
)


@dataclass(frozen=True)
class ClientSettings:
    url: str
    token: str


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "orchid" / "config.toml"


def check_url(url: str, source: str) -> str:
    """`url` without a trailing slash. Raises CliError unless it is an http(s) URL with a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(
            f"{source} must be an http(s) URL such as http://127.0.0.1:8080, not {url!r}"
        )
    return url.strip().rstrip("/")


def load_file(path: Path | None = None) -> dict[str, str]:
    """The config file's string settings; empty when there is no file. Raises CliError when the
    file cannot be read or is not TOML."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    return {k: v for k, v in data.items() if isinstance(v, str)}


def resolve() -> ClientSettings:
    """The server and token to use. Raises CliError when either is missing or the URL is bad."""
    stored = load_file()
    url = os.environ.get("ORCHID_URL") or stored.get("url")
    token = os.environ.get("ORCHID_TOKEN") or stored.get("token")
    if not url or not token:
        raise CliError(NOT_CONFIGURED)
    source = "ORCHID_URL" if os.environ.get("ORCHID_URL") else f"url in {config_path()}"
    return ClientSettings(check_url(url, source), token)


def save(settings: ClientSettings, path: Path | None = None) -> Path:
    """Write the config file readable by its owner only (0600), replacing any previous one."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # JSON strings are valid TOML basic strings (same escapes), so no TOML writer is needed.
    text = (
        "# Written by `orchid login`. ORCHID_URL and ORCHID_TOKEN override these.\n"
        f"url = {json.dumps(settings.url)}\n"
        f"token = {json.dumps(settings.token)}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode on open: tighten it
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return path
