"""Looking Unix accounts up and creating them: the only place that calls useradd.

Every lookup goes to the system's account database (`pwd`, so NSS: /etc/passwd, LDAP, ...) at the
moment of use, so an account an operator changes or removes is seen at once. uid 0 is refused
wherever it appears: `root`, or any alias with uid 0 (`toor`), as a mapping or as an account found
under the name Orchid would create.
"""

from __future__ import annotations

import logging
import os
import pwd
import subprocess
import threading

from orchid.domain.sandbox import UnixIdentity
from orchid.errors import BadRequest, Forbidden
from orchid.identity.names import account_comment, account_name, valid_account_name

log = logging.getLogger(__name__)

USERADD = "/usr/sbin/useradd"
NOLOGIN = "/usr/sbin/nologin"
# Debian's home for accounts that have none; useradd does not create it (--no-create-home).
NO_HOME = "/nonexistent"
USERADD_TIMEOUT_SECONDS = 30.0
# useradd's exit status when the name is taken (here: by a create that ran at the same time).
_USERADD_NAME_IN_USE = 9


class UnknownAccount(BadRequest):
    error_code = "UNKNOWN_UNIX_ACCOUNT"


class RootAccount(BadRequest):
    error_code = "ROOT_UNIX_ACCOUNT"


class AccountUnavailable(Forbidden):
    """The user's account cannot be used or created: the operator must act. Nothing runs."""

    error_code = "UNIX_ACCOUNT_UNAVAILABLE"


def running_as_root() -> bool:
    return os.geteuid() == 0


def service_identity() -> UnixIdentity:
    """The account that runs Orchid (its effective uid and gid)."""
    uid, gid = os.geteuid(), os.getegid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    return UnixIdentity(name, uid, gid)


def lookup(account: str) -> UnixIdentity:
    """The account named `account`. Raises UnknownAccount when there is none (or the name cannot
    be an account name), RootAccount when it has uid 0."""
    if not valid_account_name(account):
        raise UnknownAccount(f"{account!r} is not a valid Unix account name")
    try:
        entry = pwd.getpwnam(account)
    except KeyError:
        raise UnknownAccount(f"there is no Unix account named {account!r}") from None
    if entry.pw_uid == 0:
        raise RootAccount(f"Unix account {account!r} has uid 0; jobs never run as root")
    return UnixIdentity(entry.pw_name, entry.pw_uid, entry.pw_gid)


_creating = threading.Lock()


def ensure_account(user: str) -> UnixIdentity:
    """The account Orchid keeps for `user` (names.account_name), created on first use with
    `useradd --system` (its own group, shell /usr/sbin/nologin, no home). Safe to call from
    several threads or processes at once: a create that loses the race finds the winner's account.

    Raises AccountUnavailable when the account cannot be created, when an account of that name
    exists but belongs to somebody else (its comment is not `names.account_comment(user)`), or
    when it has uid 0."""
    name = account_name(user)
    found = _owned(user, name)
    if found is not None:
        return found
    with _creating:
        found = _owned(user, name)
        if found is not None:
            return found
        argv = [
            USERADD,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            NO_HOME,
            "--shell",
            NOLOGIN,
            "--comment",
            account_comment(user),
            name,
        ]
        try:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=USERADD_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise AccountUnavailable(
                f"the Unix account {name!r} for user {user!r} cannot be created: {error}"
            ) from error
        if done.returncode not in (0, _USERADD_NAME_IN_USE):
            why = done.stderr.strip().splitlines()[-1:] or [f"useradd exited {done.returncode}"]
            raise AccountUnavailable(
                f"the Unix account {name!r} for user {user!r} cannot be created: {why[0]}"
            )
    found = _owned(user, name)
    if found is None:
        raise AccountUnavailable(
            f"the Unix account {name!r} for user {user!r} was created but cannot be found"
        )
    if done.returncode == 0:
        log.info("created Unix account %s (uid %d) for user %s", name, found.uid, user)
    return found


def _owned(user: str, name: str) -> UnixIdentity | None:
    """The account `name` if it exists and is the one Orchid made for `user`; None if absent."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    if entry.pw_gecos != account_comment(user):
        raise AccountUnavailable(
            f"the Unix account {name!r} exists but was not created by Orchid for user {user!r}; "
            f"map the user to an account (orchid users map {user} ACCOUNT)"
        )
    if entry.pw_uid == 0:
        raise AccountUnavailable(f"the Unix account {name!r} has uid 0; jobs never run as root")
    return UnixIdentity(entry.pw_name, entry.pw_uid, entry.pw_gid)
