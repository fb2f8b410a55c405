"""The rule that names the account Orchid creates for a user (pure)."""

from __future__ import annotations

import pytest

from orchid.identity.names import (
    MAX_ACCOUNT_CHARS,
    account_comment,
    account_name,
    valid_account_name,
)


@pytest.mark.parametrize(
    ("user", "account"),
    [
        ("alice", "orchid-alice"),
        ("bob_2", "orchid-bob_2"),
        ("a" * 25, "orchid-" + "a" * 25),
        ("Alice.Smith@uni.dk", "orchid-alice-smith-uni-d8ef0310"),
    ],
)
def test_a_user_gets_orchid_dash_name_or_a_sanitised_name_with_a_hash(
    user: str, account: str
) -> None:
    assert account_name(user) == account
    assert account_name(user) == account_name(user)


@pytest.mark.parametrize(
    "user", ["Alice", "a" * 26, "a" * 200, "ü", "-x", "x y", "root", "../etc", "a:b", "名前", "$"]
)
def test_every_name_becomes_a_valid_unix_name_of_at_most_32_characters(user: str) -> None:
    name = account_name(user)
    assert name.startswith("orchid-")
    assert len(name) <= MAX_ACCOUNT_CHARS
    assert valid_account_name(name)
    assert ":" not in account_comment(user) and "\n" not in account_comment(user)


def test_names_that_sanitise_alike_get_different_accounts() -> None:
    users = ["Alice", "ALICE", "alice.", "alice!", "a" * 26, "a" * 27]
    assert len({account_name(u) for u in users}) == len(users)
    assert account_name("Alice") != account_name("alice")


def test_the_comment_says_whose_account_it_is() -> None:
    assert account_comment("alice") == "Orchid user alice"
    assert account_comment("a:b").startswith("Orchid user sha256-")
    assert account_comment("a:b") != account_comment("a;b")
