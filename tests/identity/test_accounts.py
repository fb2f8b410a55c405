"""Looking accounts up and creating orchid-<name> accounts, on this machine's real account database."""

from __future__ import annotations

import grp
import pwd
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from orchid.identity import accounts
from orchid.identity.names import account_name
from tests.identity.unix import (
    need_root,
    orchid_accounts_of,
    remove_account,
    throwaway_account,
    unique,
)


def test_an_existing_account_is_looked_up_by_name() -> None:
    with throwaway_account() as name:
        found = accounts.lookup(name)
        entry = pwd.getpwnam(name)
        assert (found.name, found.uid, found.gid) == (name, entry.pw_uid, entry.pw_gid)
        assert found.uid != 0


@pytest.mark.parametrize("name", ["no-such-account-x1", "a:b", "", "Root", "../etc/passwd"])
def test_a_missing_or_impossible_account_is_refused(name: str) -> None:
    with pytest.raises(accounts.UnknownAccount) as refused:
        accounts.lookup(name)
    assert refused.value.status_code == 400


def test_root_and_every_uid_0_alias_are_refused() -> None:
    with pytest.raises(accounts.RootAccount, match="uid 0"):
        accounts.lookup("root")
    with throwaway_account(uid0=True) as alias:
        assert pwd.getpwnam(alias).pw_uid == 0
        with pytest.raises(accounts.RootAccount, match="uid 0"):
            accounts.lookup(alias)
    with pytest.raises(KeyError):  # the alias is gone again
        pwd.getpwnam(alias)


def test_orchid_creates_a_system_account_without_login_for_a_user_on_first_use() -> None:
    need_root()
    user = unique("idt")
    with orchid_accounts_of(user):
        identity = accounts.ensure_account(user)

        entry = pwd.getpwnam(account_name(user))
        assert identity.name == f"orchid-{user}" == entry.pw_name
        assert (identity.uid, identity.gid) == (entry.pw_uid, entry.pw_gid)
        assert identity.uid != 0
        assert entry.pw_shell == "/usr/sbin/nologin"
        assert grp.getgrgid(entry.pw_gid).gr_name == identity.name  # its own group
        assert entry.pw_gecos == f"Orchid user {user}"
        # Second use: the same account, nothing created.
        assert accounts.ensure_account(user) == identity


def test_two_creates_at_once_make_one_account_threads_and_processes() -> None:
    need_root()
    user = unique("race")
    code = (
        f"from orchid.identity.accounts import ensure_account; print(ensure_account({user!r}).uid)"
    )
    with orchid_accounts_of(user):
        procs = [
            subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        with ThreadPoolExecutor(4) as pool:
            in_threads = list(pool.map(lambda _: accounts.ensure_account(user).uid, range(4)))
        in_processes = [int(p.communicate(timeout=60)[0]) for p in procs]
        assert all(p.returncode == 0 for p in procs)
        assert len(set(in_threads + in_processes)) == 1
        assert in_threads[0] == pwd.getpwnam(account_name(user)).pw_uid


def test_an_account_of_that_name_made_by_somebody_else_is_not_taken_over() -> None:
    need_root()
    user = unique("taken")
    name = account_name(user)
    subprocess.run(["useradd", "--system", "--user-group", name], check=True)
    try:
        with pytest.raises(accounts.AccountUnavailable, match="not created by Orchid") as refused:
            accounts.ensure_account(user)
        assert refused.value.status_code == 403
    finally:
        remove_account(name)


def test_an_account_that_cannot_be_created_is_a_clear_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    need_root()
    # A useradd that fails, as it does on a read-only /etc.
    monkeypatch.setattr(accounts, "USERADD", "/bin/false")
    with pytest.raises(accounts.AccountUnavailable, match="cannot be created") as refused:
        accounts.ensure_account(unique("nope"))
    assert refused.value.error_code == "UNIX_ACCOUNT_UNAVAILABLE"
