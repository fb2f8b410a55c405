"""Ids of stored things (jobs, drives): the decimal text of a database integer.

An id is 1 to 18 ASCII digits: 18 digits always fit a signed 64-bit integer, so a text `parse_id`
accepts can reach any database safely, and one it refuses names nothing.
"""

from __future__ import annotations

MAX_ID_DIGITS = 18
# The same rule as a regular expression, for the wire schema's patterns.
ID_REGEX = f"[0-9]{{1,{MAX_ID_DIGITS}}}"


def parse_id(text: str) -> int | None:
    """The integer `text` names, or None when it is not an id (empty, not ASCII digits, or more
    than 18 digits)."""
    if not text.isascii() or not text.isdigit() or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)
