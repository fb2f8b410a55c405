"""Parameter validation and command building (reference §3.3 and §7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from orchid.errors import BadRequest
from orchid.invocation import (
    Command,
    build_command,
    check_application,
    validate_parameters,
)
from orchid.schemas.apps import (
    Application,
    AppParameterValue,
    BooleanValue,
    FileValue,
    FloatingPointValue,
    IntegerValue,
    NetworkValue,
    PeerValue,
    TextAreaValue,
    TextValue,
)


def make_app(
    parameters: list[dict[str, Any]] | None = None,
    invocation: list[dict[str, Any]] | None = None,
    environment: dict[str, dict[str, Any]] | None = None,
) -> Application:
    """An application in wire format, as a catalog file would write it."""
    return Application.model_validate(
        {
            "metadata": {"name": "test-app", "version": "1.0.0", "title": "Test app"},
            "invocation": {
                "tool": {"name": "test-tool", "version": "1.0.0"},
                "invocation": invocation or [],
                "parameters": parameters or [],
                "environment": environment,
            },
        }
    )


def param(kind: str, name: str = "x", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "name": name, **fields}


def word(text: str) -> dict[str, Any]:
    return {"type": "word", "word": text}


def var(*names: str, **fields: Any) -> dict[str, Any]:
    return {"type": "var", "variableNames": list(names), **fields}


def bad_request(app: Application, values: Mapping[str, AppParameterValue | None]) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        validate_parameters(app, values)
    return caught.value


ENUM_OPTIONS = [{"name": "Fast", "value": "fast"}, {"name": "Slow", "value": "slow"}]


# ---- validate_parameters: which value kinds each parameter kind accepts ----


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        (param("text"), TextValue(value="hello")),
        (param("textarea"), TextAreaValue(value="line 1\nline 2")),
        (param("textarea"), TextValue(value="core2 clients send text")),
        (param("integer"), IntegerValue(value=42)),
        (param("floating_point"), FloatingPointValue(value=0.5)),
        (param("floating_point"), IntegerValue(value=2)),
        (param("boolean"), BooleanValue(value=False)),
        (param("enumeration", options=ENUM_OPTIONS), TextValue(value="slow")),
        (param("input_file"), FileValue(path="/home/user/data.csv")),
        (param("input_directory"), FileValue(path="/home/user/data")),
        (param("peer"), PeerValue(hostname="db", job_id="17")),
    ],
    ids=lambda item: item["type"] if isinstance(item, dict) else item.type,
)
def test_a_value_of_an_accepted_kind_is_kept_as_given(
    parameter: dict[str, Any], value: AppParameterValue
) -> None:
    app = make_app([parameter])

    assert validate_parameters(app, {"x": value}) == {"x": value}


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        (param("text"), IntegerValue(value=1), "text"),
        (param("text"), FileValue(path="/a"), "text"),
        (param("textarea"), IntegerValue(value=1), "textarea or text"),
        (param("integer"), TextValue(value="1"), "integer"),
        (param("integer"), FloatingPointValue(value=1.0), "integer"),
        (param("floating_point"), TextValue(value="1.5"), "floating_point or integer"),
        (param("boolean"), TextValue(value="true"), "boolean"),
        (param("boolean"), IntegerValue(value=1), "boolean"),
        (param("enumeration", options=ENUM_OPTIONS), TextAreaValue(value="fast"), "text"),
        (param("input_file"), TextValue(value="/a"), "file"),
        (param("input_directory"), PeerValue(hostname="h", job_id="1"), "file"),
        (param("peer"), TextValue(value="db"), "peer"),
        (param("text"), NetworkValue(id="ip-1"), "text"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_naming_the_expected_kind(
    parameter: dict[str, Any], value: AppParameterValue, expected: str
) -> None:
    app = make_app([parameter])

    error = bad_request(app, {"x": value})

    assert error.error_code == "INVALID_PARAMETER"
    assert error.status_code == 400
    assert error.why == (f"incorrect parameter type for 'x': expected {expected}, got {value.type}")


# ---- validate_parameters: ranges and options ----


@pytest.mark.parametrize(
    ("parameter", "value", "why"),
    [
        (param("integer", min=0, max=10), IntegerValue(value=-1), "-1 is less than the minimum 0"),
        (
            param("integer", min=0, max=10),
            IntegerValue(value=11),
            "11 is greater than the maximum 10",
        ),
        (
            param("floating_point", min=0.5, max=1.5),
            FloatingPointValue(value=0.25),
            "0.25 is less than the minimum 0.5",
        ),
        (
            param("floating_point", min=0.5, max=1.5),
            IntegerValue(value=2),
            "2 is greater than the maximum 1.5",
        ),
        (param("floating_point"), FloatingPointValue(value=float("nan")), "nan is not a finite"),
        (
            param("enumeration", options=ENUM_OPTIONS),
            TextValue(value="medium"),
            "'medium' is not one of 'fast', 'slow'",
        ),
    ],
)
def test_a_value_out_of_range_or_not_an_option_is_refused(
    parameter: dict[str, Any], value: AppParameterValue, why: str
) -> None:
    app = make_app([parameter])

    error = bad_request(app, {"x": value})

    assert error.error_code == "INVALID_PARAMETER"
    assert error.why.startswith("invalid value for 'x': ")
    assert why in error.why


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        (param("integer", min=0, max=10), IntegerValue(value=0)),
        (param("integer", min=0, max=10), IntegerValue(value=10)),
        (param("integer", min=0), IntegerValue(value=10**30)),
        (param("floating_point", min=0.5, max=1.5), FloatingPointValue(value=1.5)),
    ],
)
def test_the_bounds_themselves_are_allowed(
    parameter: dict[str, Any], value: AppParameterValue
) -> None:
    app = make_app([parameter])

    assert validate_parameters(app, {"x": value}) == {"x": value}


# ---- validate_parameters: unknown, missing, defaults ----


def test_an_unknown_parameter_is_refused() -> None:
    app = make_app([param("text", optional=True)])

    error = bad_request(app, {"y": TextValue(value="?")})

    assert (error.why, error.error_code) == ("unknown parameter supplied: 'y'", "UNKNOWN_PARAMETER")


def test_a_required_parameter_without_value_or_default_is_missing() -> None:
    app = make_app([param("text", optional=True, name="a"), param("integer", name="b")])

    for values in ({}, {"b": None}):
        error = bad_request(app, values)
        assert (error.why, error.error_code) == ("missing value for 'b'", "MISSING_PARAMETER")


def test_an_optional_parameter_without_value_or_default_is_left_out() -> None:
    app = make_app([param("text", optional=True)])

    assert validate_parameters(app, None) == {}
    assert validate_parameters(app, {"x": None}) == {}


@pytest.mark.parametrize(
    ("parameter", "expected"),
    [
        (param("integer", defaultValue=0), IntegerValue(value=0)),
        (param("integer", defaultValue={"type": "integer", "value": 7}), IntegerValue(value=7)),
        (param("floating_point", defaultValue=1), FloatingPointValue(value=1.0)),
        (param("text", defaultValue="hi"), TextValue(value="hi")),
        (param("text", defaultValue={"type": "text", "value": "hi"}), TextValue(value="hi")),
        (param("textarea", defaultValue="a\nb"), TextAreaValue(value="a\nb")),
        (param("boolean", defaultValue=True), BooleanValue(value=True)),
        (
            param("boolean", defaultValue={"type": "boolean", "value": False}),
            BooleanValue(value=False),
        ),
        (
            param("enumeration", options=ENUM_OPTIONS, defaultValue="fast"),
            TextValue(value="fast"),
        ),
        (
            param(
                "enumeration",
                options=ENUM_OPTIONS,
                defaultValue={"type": "enumeration", "value": "slow"},
            ),
            TextValue(value="slow"),
        ),
        (param("input_file", defaultValue="/data/in.csv"), FileValue(path="/data/in.csv")),
    ],
)
def test_a_default_fills_a_missing_value_in_either_written_form(
    parameter: dict[str, Any], expected: AppParameterValue
) -> None:
    for optional in (False, True):
        app = make_app([{**parameter, "optional": optional}])

        assert validate_parameters(app, {}) == {"x": expected}


def test_a_given_value_wins_over_the_default() -> None:
    app = make_app([param("integer", defaultValue=0)])

    assert validate_parameters(app, {"x": IntegerValue(value=5)}) == {"x": IntegerValue(value=5)}


def test_the_effective_values_follow_the_declared_order() -> None:
    app = make_app([param("text", name="first"), param("integer", name="second", defaultValue=2)])

    effective = validate_parameters(app, {"first": TextValue(value="1")})

    assert list(effective) == ["first", "second"]


# ---- check_application: catalog mistakes are caught at load ----


@pytest.mark.parametrize(
    ("parameters", "invocation", "message"),
    [
        ([param("integer", defaultValue=True)], [], "True does not fit a integer"),
        ([param("integer", defaultValue="3")], [], "'3' does not fit a integer"),
        ([param("integer", min=1, defaultValue=0)], [], "less than the minimum 1"),
        ([param("integer", defaultValue={"type": "text", "value": "3"})], [], "expected integer"),
        ([param("enumeration", options=ENUM_OPTIONS, defaultValue="x")], [], "not one of"),
        ([param("text"), param("integer")], [], "'x' is declared twice"),
        ([param("text")], [var("x", "y")], "undeclared parameter 'y'"),
        (
            [param("text")],
            [{"type": "bool_flag", "variableName": "x", "flag": "-v"}],
            "not a declared boolean",
        ),
    ],
)
def test_an_inconsistent_application_is_refused(
    parameters: list[dict[str, Any]], invocation: list[dict[str, Any]], message: str
) -> None:
    app = make_app(parameters, invocation)

    with pytest.raises(ValueError, match=message):
        check_application(app)


def test_a_consistent_application_passes_the_check() -> None:
    app = make_app(
        [param("boolean", name="verbose", optional=True), param("text", name="name")],
        [word("greet"), {"type": "bool_flag", "variableName": "verbose", "flag": "-v"}],
        {"NAME": var("name")},
    )

    check_application(app)


# ---- build_command: argv ----

BOOL_PARAM = param("boolean", trueValue="yes", falseValue="no")


@pytest.mark.parametrize(
    ("parameters", "invocation", "values", "argv"),
    [
        pytest.param([], [word("echo"), word("hi")], {}, ["echo", "hi"], id="words"),
        pytest.param(
            [param("text")],
            [word("echo"), var("x")],
            {"x": TextValue(value="two words; rm -rf ~")},
            ["echo", "two words; rm -rf ~"],
            id="text is one argument, never shell",
        ),
        pytest.param(
            [param("textarea")],
            [word("bash"), word("-c"), var("x")],
            {"x": TextAreaValue(value="echo a\necho b")},
            ["bash", "-c", "echo a\necho b"],
            id="textarea",
        ),
        pytest.param(
            [param("text")], [var("x")], {"x": TextValue(value="")}, [""], id="empty text is kept"
        ),
        pytest.param([param("integer")], [var("x")], {"x": IntegerValue(value=8080)}, ["8080"]),
        pytest.param(
            [param("floating_point")], [var("x")], {"x": FloatingPointValue(value=0.25)}, ["0.25"]
        ),
        pytest.param(
            [param("floating_point")],
            [var("x")],
            {"x": IntegerValue(value=3)},
            ["3"],
            id="float<-int",
        ),
        pytest.param([BOOL_PARAM], [var("x")], {"x": BooleanValue(value=True)}, ["yes"]),
        pytest.param([BOOL_PARAM], [var("x")], {"x": BooleanValue(value=False)}, ["no"]),
        pytest.param(
            [param("boolean")],
            [var("x")],
            {"x": BooleanValue(value=True)},
            ["true"],
            id="bool-default",
        ),
        pytest.param([param("input_file")], [var("x")], {"x": FileValue(path="/d/f")}, ["/d/f"]),
        pytest.param(
            [param("peer")], [var("x")], {"x": PeerValue(hostname="db-1", job_id="9")}, ["db-1"]
        ),
        pytest.param(
            [param("integer", optional=True)],
            [word("serve"), var("x", prefixGlobal="--port", suffixGlobal="--end")],
            {},
            ["serve"],
            id="var without value gives nothing, not even its global affixes",
        ),
        pytest.param(
            [param("integer")],
            [var("x", prefixGlobal="--port ", suffixGlobal="--end")],
            {"x": IntegerValue(value=1)},
            ["--port", "1", "--end"],
            id="global affixes are one argument each",
        ),
        pytest.param(
            [
                param("text", name="a", optional=True),
                param("text", name="b"),
                param("text", name="c"),
            ],
            [var("a", "b", "c", prefixGlobal="--names")],
            {"b": TextValue(value="B"), "c": TextValue(value="C")},
            ["--names", "B", "C"],
            id="only variables with a value expand, in declared order",
        ),
        pytest.param(
            [param("text", name="a"), param("text", name="b")],
            [var("a", "b", prefixVariable="-i", suffixVariable=";")],
            {"a": TextValue(value="A"), "b": TextValue(value="B")},
            ["-i", "A", ";", "-i", "B", ";"],
            id="separate variable affixes",
        ),
        pytest.param(
            [param("text")],
            [var("x", prefixVariable="--name=", isPrefixVariablePartOfArg=True)],
            {"x": TextValue(value="a b")},
            ["--name=a b"],
            id="joined prefix",
        ),
        pytest.param(
            [param("text")],
            [var("x", suffixVariable=".txt", isSuffixVariablePartOfArg=True)],
            {"x": TextValue(value="out")},
            ["out.txt"],
            id="joined suffix",
        ),
        pytest.param(
            [param("text")],
            [
                var(
                    "x",
                    prefixVariable="-D",
                    suffixVariable="!",
                    isPrefixVariablePartOfArg=True,
                    isSuffixVariablePartOfArg=False,
                )
            ],
            {"x": TextValue(value="k=v")},
            ["-Dk=v", "!"],
            id="joined prefix, separate suffix",
        ),
        pytest.param(
            [param("text")],
            [
                var(
                    "x",
                    prefixVariable="[",
                    suffixVariable="]",
                    isPrefixVariablePartOfArg=True,
                    isSuffixVariablePartOfArg=True,
                )
            ],
            {"x": TextValue(value="v")},
            ["[v]"],
            id="both joined",
        ),
        pytest.param(
            [param("boolean", name="v", optional=True)],
            [word("ls"), {"type": "bool_flag", "variableName": "v", "flag": "-l"}],
            {"v": BooleanValue(value=True)},
            ["ls", "-l"],
            id="bool_flag true",
        ),
        pytest.param(
            [param("boolean", name="v", optional=True)],
            [word("ls"), {"type": "bool_flag", "variableName": "v", "flag": "-l"}],
            {"v": BooleanValue(value=False)},
            ["ls"],
            id="bool_flag false",
        ),
        pytest.param(
            [param("boolean", name="v", optional=True)],
            [word("ls"), {"type": "bool_flag", "variableName": "v", "flag": "-l"}],
            {},
            ["ls"],
            id="bool_flag absent",
        ),
        pytest.param(
            [],
            [word("env"), {"type": "env", "variable": "HOME"}],
            {},
            ["env"],
            id="env adds nothing to argv",
        ),
    ],
)
def test_the_invocation_expands_into_argv(
    parameters: list[dict[str, Any]],
    invocation: list[dict[str, Any]],
    values: dict[str, AppParameterValue],
    argv: list[str],
) -> None:
    app = make_app(parameters, invocation)

    assert build_command(app, values).argv == tuple(argv)


# ---- build_command: environment ----


def test_the_environment_joins_each_expansion_with_spaces() -> None:
    app = make_app(
        [
            param("integer", name="threads"),
            param("text", name="a"),
            param("text", name="b"),
            param("text", name="unset", optional=True),
        ],
        [word("run")],
        {
            "MODE": word("fast"),
            "THREADS": var("threads"),
            "FLAGS": var("a", "b", prefixVariable="-f"),
            "UNSET": var("unset"),
            "FROM_ENV": {"type": "env", "variable": "HOME"},
        },
    )
    values: dict[str, AppParameterValue] = {
        "threads": IntegerValue(value=4),
        "a": TextValue(value="x"),
        "b": TextValue(value="y z"),
    }

    command = build_command(app, values)

    assert command == Command(
        argv=("run",), env={"MODE": "fast", "THREADS": "4", "FLAGS": "-f x -f y z"}
    )


def test_validated_values_build_the_command_end_to_end() -> None:
    app = make_app(
        [
            param("integer", name="port", optional=True, min=0, max=65535, defaultValue=0),
            param("text", name="greeting", optional=True),
        ],
        [
            word("serve"),
            var("port", prefixGlobal="--port"),
            var("greeting", prefixGlobal="--greeting"),
        ],
    )

    bare = build_command(app, validate_parameters(app, None))
    greeted = build_command(
        app, validate_parameters(app, {"greeting": TextValue(value="Hello, world")})
    )

    assert bare.argv == ("serve", "--port", "0")
    assert greeted.argv == ("serve", "--port", "0", "--greeting", "Hello, world")
