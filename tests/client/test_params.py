"""Parameters typed from text by what the application declares."""

from __future__ import annotations

from typing import Any

import pytest

from orchid.client import MissingParameter, ParameterError, parameter_values
from orchid.client.params import split_assignment
from orchid.schemas.apps import Application


def app(*parameters: dict[str, Any]) -> Application:
    return Application.model_validate(
        {
            "metadata": {"name": "demo", "version": "2.0", "title": "Demo"},
            "invocation": {
                "tool": {"name": "t", "version": "1"},
                "invocation": [],
                "parameters": list(parameters),
            },
        }
    )


DEMO = app(
    {"type": "integer", "name": "n"},
    {"type": "floating_point", "name": "x", "optional": True},
    {"type": "boolean", "name": "b", "optional": True},
    {"type": "text", "name": "t", "optional": True},
    {"type": "textarea", "name": "script", "optional": True},
    {
        "type": "enumeration",
        "name": "mode",
        "optional": True,
        "options": [{"name": "Fast", "value": "fast"}, {"name": "Slow", "value": "slow"}],
    },
    {"type": "input_file", "name": "f", "optional": True},
)


def wire(values: dict[str, str]) -> dict[str, Any]:
    return {k: v.model_dump(mode="json") for k, v in parameter_values(DEMO, values).items()}


def test_each_declared_type_gets_its_value_kind() -> None:
    given = {"n": " 42", "x": "1.5", "b": "Yes", "t": "a=b", "script": "echo", "mode": "Slow"}
    assert wire(given | {"f": "/data/in.csv"}) == {
        "n": {"type": "integer", "value": 42},
        "x": {"type": "floating_point", "value": 1.5},
        "b": {"type": "boolean", "value": True},
        "t": {"type": "text", "value": "a=b"},
        "script": {"type": "textarea", "value": "echo"},
        "mode": {"type": "text", "value": "slow"},
        "f": {"type": "file", "path": "/data/in.csv", "readOnly": None},
    }
    assert wire({"n": "1", "b": "0"})["b"] == {"type": "boolean", "value": False}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n": "four"}, "n must be an integer, not 'four'"),
        ({"n": "1", "x": "1,5"}, "x must be a number"),
        ({"n": "1", "b": "maybe"}, "b must be true or false"),
        ({"n": "1", "mode": "medium"}, "mode must be one of fast, slow"),
        ({"n": "1", "nope": "1"}, "demo@2.0 has no parameter 'nope'"),
    ],
)
def test_bad_text_is_a_parameter_error_naming_it(values: dict[str, str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parameter_values(DEMO, values)


def test_a_required_parameter_without_default_must_be_given() -> None:
    with pytest.raises(MissingParameter, match="needs parameter 'n'") as missing:
        parameter_values(DEMO, {})
    assert missing.value.name == "n"
    with_default = app({"type": "integer", "name": "n", "defaultValue": 3})
    assert parameter_values(with_default, {}) == {}


def test_assignments_split_on_the_first_equals_sign() -> None:
    assert split_assignment("script=a=b") == ("script", "a=b")
    assert split_assignment("empty=") == ("empty", "")
    with pytest.raises(ParameterError, match="expected key=value"):
        split_assignment("novalue")
