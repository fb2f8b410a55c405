"""UCloud paths and names: what is accepted, what is refused (pure, fast)."""

from __future__ import annotations

import pytest

from orchid.errors import BadRequest
from orchid.storage.paths import FilePath, check_name, parse_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/12", FilePath("12", ())),
        ("/12/", FilePath("12", ())),
        ("/12/a/b.txt", FilePath("12", ("a", "b.txt"))),
        ("/12//a/./b", FilePath("12", ("a", "b"))),
        ("/12/Jobs/Terminal Ubuntu/5", FilePath("12", ("Jobs", "Terminal Ubuntu", "5"))),
        ("/12/ünïcødé ✓", FilePath("12", ("ünïcødé ✓",))),
    ],
)
def test_paths_that_parse(text: str, expected: FilePath) -> None:
    assert parse_path(text) == expected
    assert str(parse_path(str(expected))) == str(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12/a",
        "/",
        "//",
        "/12/../13",
        "/12/a/..",
        "/..",
        "/abc/x",
        "/-1/x",
        "/12/a\x00b",
        "/12/tab\tname",
        "/12/" + "x" * 256,
        "/12/" + "a/" * 2100,
        "/" + "1" * 19,
    ],
)
def test_paths_that_are_refused(text: str) -> None:
    with pytest.raises(BadRequest) as err:
        parse_path(text)
    assert err.value.error_code == "INVALID_PATH"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\x00", "\n", "x" * 256, "é" * 128])
def test_names_that_are_refused(name: str) -> None:
    with pytest.raises(BadRequest):
        check_name(name)


def test_a_name_may_be_255_bytes() -> None:
    assert check_name("x" * 255) == "x" * 255
