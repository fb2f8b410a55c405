"""Parameter values from text (`key=value`), typed by what the application declares.

`parameter_values(app, {"seconds": "30"})` gives `{"seconds": IntegerValue(value=30)}`. Everything a
user can get wrong is a `ParameterError` naming the parameter, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from orchid.invocation import default_value
from orchid.schemas.apps import (
    Application,
    ApplicationParameter,
    AppParameterValue,
    BooleanValue,
    EnumerationParameter,
    FileValue,
    FloatingPointValue,
    IntegerValue,
    TextAreaValue,
    TextValue,
)

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


class ParameterError(ValueError):
    """A parameter given as text is unknown, malformed or missing."""


class MissingParameter(ParameterError):
    """A required parameter (without a default) got no value."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def split_assignment(text: str) -> tuple[str, str]:
    """'key=value' -> ('key', 'value'). Raises ParameterError without a '=' or a key."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"expected key=value, got {text!r}")
    return key.strip(), value


def to_value(param: ApplicationParameter, text: str) -> AppParameterValue:
    """The value `text` stands for, as `param`'s declared type. Raises ParameterError."""
    kind = param.type
    if kind == "text":
        return TextValue(value=text)
    if kind == "textarea":
        return TextAreaValue(value=text)
    if kind == "integer":
        try:
            return IntegerValue(value=int(text.strip()))
        except ValueError:
            raise ParameterError(f"{param.name} must be an integer, not {text!r}") from None
    if kind == "floating_point":
        try:
            return FloatingPointValue(value=float(text.strip()))
        except ValueError:
            raise ParameterError(f"{param.name} must be a number, not {text!r}") from None
    if kind == "boolean":
        word = text.strip().lower()
        if word in _TRUE or word in _FALSE:
            return BooleanValue(value=word in _TRUE)
        raise ParameterError(f"{param.name} must be true or false (yes/no, 1/0), not {text!r}")
    if isinstance(param, EnumerationParameter):
        return TextValue(value=_option(param, text))
    if kind in ("input_file", "input_directory"):
        return FileValue(path=text)
    raise ParameterError(f"{param.name}: parameters of type {kind} cannot be given as text")


def _option(param: EnumerationParameter, text: str) -> str:
    for option in param.options:
        if text in (option.value, option.name):
            return option.value
    choices = ", ".join(option.value for option in param.options)
    raise ParameterError(f"{param.name} must be one of {choices}, not {text!r}")


def parameter_values(app: Application, given: Mapping[str, str]) -> dict[str, AppParameterValue]:
    """Typed values for the texts in `given`, checked against `app`'s declared parameters.

    Raises ParameterError for a name the app does not declare or a text that does not fit its
    parameter's type, and MissingParameter for a required parameter (without a default).
    """
    declared = {param.name: param for param in app.invocation.parameters}
    app_name = f"{app.metadata.name}@{app.metadata.version}"
    values: dict[str, AppParameterValue] = {}
    for name, text in given.items():
        param = declared.get(name)
        if param is None:
            known = ", ".join(declared) or "none"
            raise ParameterError(f"{app_name} has no parameter {name!r} (parameters: {known})")
        values[name] = to_value(param, text)
    for name, param in declared.items():
        if name not in values and not param.optional and _has_no_default(param):
            raise MissingParameter(f"{app_name} needs parameter {name!r} ({param.type})", name)
    return values


def _has_no_default(param: ApplicationParameter) -> bool:
    try:
        return default_value(param) is None
    except ValueError:
        return True
