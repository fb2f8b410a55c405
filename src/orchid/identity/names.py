"""The account Orchid creates for a user that has none mapped: a pure naming rule.

A user whose name is already a valid, short Unix name gets `orchid-<name>` (`alice` ->
`orchid-alice`). Any other name (upper case, dots, `@`, non-ASCII, longer than 25 characters)
gets `orchid-<sanitised>-<hash>`: the name lower-cased, every run of characters outside
`[a-z0-9_-]` replaced by one `-`, cut to 16 characters, then the first 8 hex digits of the
SHA-256 of the exact name (`Alice.Smith@uni.dk` -> `orchid-alice-smith-uni-d8ef0310`). Either
way the result is at most 32 characters, starts with a letter and matches Debian's NAME_REGEX.

Two users never share an account: the account's comment (GECOS) records whose it is
(`account_comment`), and an existing account with another comment is never taken over.
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "orchid-"
# Unix account names: at most 32 characters (utmp's limit, useradd's default).
MAX_ACCOUNT_CHARS = 32
_PLAIN = re.compile(r"[a-z_][a-z0-9_-]*")
_OUTSIDE = re.compile(r"[^a-z0-9_-]+")
_SANITISED_CHARS = 16
_HASH_CHARS = 8
# Characters a GECOS field can hold (not ':' ',' '=' or newlines) and that read well.
_COMMENT_SAFE = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
_ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,30}[a-z0-9_$-]?")


def account_name(user: str) -> str:
    """The name of the account Orchid creates for `user` (deterministic, see the module doc)."""
    if _PLAIN.fullmatch(user) and len(PREFIX) + len(user) <= MAX_ACCOUNT_CHARS:
        return PREFIX + user
    digest = hashlib.sha256(user.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    sanitised = _OUTSIDE.sub("-", user.lower()).strip("-")[:_SANITISED_CHARS].strip("-")
    return f"{PREFIX}{sanitised or 'u'}-{digest}"


def account_comment(user: str) -> str:
    """The comment (GECOS) of the account created for `user`: it says which user owns it."""
    if _COMMENT_SAFE.fullmatch(user):
        return f"Orchid user {user}"
    digest = hashlib.sha256(user.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"Orchid user sha256-{digest}"


def valid_account_name(name: str) -> bool:
    """Whether `name` can be a Unix account name (what an operator may map a user to)."""
    return bool(_ACCOUNT.fullmatch(name))
