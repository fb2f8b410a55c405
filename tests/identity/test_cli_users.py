"""`orchid users create NAME --unix-user ACCOUNT` and `orchid users map NAME ACCOUNT`, run for real."""

from __future__ import annotations

import subprocess
from pathlib import Path

from orchid.identity.names import account_name
from orchid.runtime import open_store
from orchid.settings import Settings
from tests.identity.unix import throwaway_account
from tests.support import ORCHID


def orchid(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ORCHID, *args], capture_output=True, text=True, timeout=60)


def mapping(data_dir: Path, user: str) -> tuple[bool, str | None]:
    store = open_store(Settings(data_dir=data_dir))
    try:
        return store.unix_user_of(user)
    finally:
        store.close()


def test_create_maps_a_new_user_to_an_existing_account(tmp_path: Path) -> None:
    with throwaway_account() as account:
        done = orchid(
            "users", "create", "alice", "--unix-user", account, "--data-dir", str(tmp_path)
        )

        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().startswith("orchid_")  # the token, last line
        assert mapping(tmp_path, "alice") == (True, account)


def test_map_changes_the_account_of_an_existing_user_and_list_shows_it(tmp_path: Path) -> None:
    with throwaway_account() as first, throwaway_account() as second:
        created = orchid(
            "users", "create", "bob", "--unix-user", first, "--data-dir", str(tmp_path)
        )
        assert created.returncode == 0, created.stderr
        done = orchid("users", "map", "bob", second, "--data-dir", str(tmp_path))

        assert done.returncode == 0, done.stderr
        assert mapping(tmp_path, "bob") == (True, second)
        assert orchid("users", "create", "Zoe Q", "--data-dir", str(tmp_path)).returncode == 0
        listed = orchid("users", "list", "--data-dir", str(tmp_path))
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.splitlines() == [
            f"Zoe Q\t{account_name('Zoe Q')} (created on first use)",
            f"bob\t{second}",
        ]


def test_a_missing_account_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    created = orchid(
        "users", "create", "carol", "--unix-user", "no-such-acct", "--data-dir", str(tmp_path)
    )
    assert created.returncode != 0
    assert created.stderr.strip() == "error: there is no Unix account named 'no-such-acct'"
    assert mapping(tmp_path, "carol") == (False, None)

    orchid("users", "create", "carol", "--data-dir", str(tmp_path))
    mapped = orchid("users", "map", "carol", "no-such-acct", "--data-dir", str(tmp_path))
    assert mapped.returncode != 0
    assert mapped.stderr.strip() == "error: there is no Unix account named 'no-such-acct'"
    assert mapping(tmp_path, "carol") == (True, None)


def test_root_and_a_uid_0_alias_are_refused_and_never_stored(tmp_path: Path) -> None:
    with throwaway_account() as fine, throwaway_account(uid0=True) as alias:
        orchid("users", "create", "dave", "--unix-user", fine, "--data-dir", str(tmp_path))
        for account in ("root", alias):
            created = orchid(
                "users",
                "create",
                f"e-{account}",
                "--unix-user",
                account,
                "--data-dir",
                str(tmp_path),
            )
            mapped = orchid("users", "map", "dave", account, "--data-dir", str(tmp_path))

            for done in (created, mapped):
                assert done.returncode != 0
                assert done.stderr.strip() == (
                    f"error: Unix account {account!r} has uid 0; jobs never run as root"
                )
            assert mapping(tmp_path, f"e-{account}") == (False, None)
            assert mapping(tmp_path, "dave") == (True, fine)  # the old mapping stays


def test_mapping_a_user_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with throwaway_account() as account:
        done = orchid("users", "map", "nobody-here", account, "--data-dir", str(tmp_path))
    assert done.returncode != 0
    assert done.stderr.strip() == "error: no user named 'nobody-here'"
