"""Ids: 1 to 18 ASCII digits name a stored thing; any other text names nothing."""

from __future__ import annotations

import pytest

from orchid.domain.ids import parse_id


@pytest.mark.parametrize("text", ["0", "7", "0042", "9" * 18])
def test_decimal_digits_are_an_id(text: str) -> None:
    assert parse_id(text) == int(text)


@pytest.mark.parametrize(
    "text", ["", " 1", "1 ", "x", "1.0", "-1", "+1", "9" * 19, "\u0661", "1_0"]
)
def test_anything_else_is_not_an_id(text: str) -> None:
    assert parse_id(text) is None
