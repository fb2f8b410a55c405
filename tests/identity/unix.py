"""Throw-away Unix accounts for tests: created with useradd, removed with userdel afterwards.

Creating accounts needs root. Without it a test skips on a laptop and fails in CI (CI=true).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from orchid.identity.names import account_name
from tests.support import IN_CI


def need_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("these tests create Unix accounts: CI must run them as root")
        pytest.skip("creating Unix accounts needs root")


def unique(prefix: str) -> str:
    """A fresh name nobody uses: `<prefix><8 hex>`."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def remove_account(name: str) -> None:
    """Remove an account (and its group) if it exists; never fails."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    # --force: a uid-0 alias shares its uid with running processes, which userdel would refuse
    subprocess.run(["userdel", "--force", name], capture_output=True, check=False)
    subprocess.run(["groupdel", name], capture_output=True, check=False)


@contextmanager
def throwaway_account(*, uid0: bool = False) -> Iterator[str]:
    """An existing account for the test (with uid 0 when `uid0`: a root alias), removed after."""
    need_root()
    name = unique("ot-")
    argv = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
    argv += ["--non-unique", "--uid", "0", "--gid", "0"] if uid0 else ["--user-group"]
    subprocess.run([*argv, name], check=True, capture_output=True)
    try:
        yield name
    finally:
        remove_account(name)


@contextmanager
def orchid_accounts_of(*users: str) -> Iterator[None]:
    """Remove the accounts Orchid creates for `users` after the test."""
    try:
        yield
    finally:
        for user in users:
            remove_account(account_name(user))
