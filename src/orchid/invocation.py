"""Application invocation: checking a job's parameter values and turning them into argv and env.

Pure rules, no I/O. `validate_parameters` is the one gate between user input and a command line;
`build_command` trusts its input to have passed it. User text never meets a shell here: every value
becomes its own argv element (or part of one, next to a fixed affix), so `; rm -rf ~` is just text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, assert_never

from pydantic import TypeAdapter, ValidationError

from orchid.errors import BadRequest
from orchid.schemas.apps import (
    Application,
    ApplicationParameter,
    AppParameterValue,
    BlockStorageValue,
    BooleanParameter,
    BooleanValue,
    BoolFlagInvocation,
    EnumerationParameter,
    EnvInvocation,
    FileValue,
    FloatingPointParameter,
    FloatingPointValue,
    IngressValue,
    IntegerParameter,
    IntegerValue,
    InvocationParameter,
    LicenseServerValue,
    NetworkValue,
    PeerValue,
    TextAreaValue,
    TextValue,
    VarInvocation,
    WordInvocation,
)

UNKNOWN_PARAMETER: Final = "UNKNOWN_PARAMETER"
INVALID_PARAMETER: Final = "INVALID_PARAMETER"
MISSING_PARAMETER: Final = "MISSING_PARAMETER"

# Which value kinds each parameter kind accepts, the preferred kind first (it is named in errors).
# A textarea also takes "text" because core2 clients send that; a float also takes an integer.
ACCEPTED_VALUES: Final[Mapping[str, tuple[str, ...]]] = {
    "text": ("text",),
    "textarea": ("textarea", "text"),
    "integer": ("integer",),
    "floating_point": ("floating_point", "integer"),
    "boolean": ("boolean",),
    "enumeration": ("text",),
    "input_file": ("file",),
    "input_directory": ("file",),
    "peer": ("peer",),
}

_VALUE_ADAPTER: TypeAdapter[AppParameterValue] = TypeAdapter(AppParameterValue)
_VALUE_KINDS: Final = frozenset(
    {
        "text",
        "textarea",
        "integer",
        "floating_point",
        "boolean",
        "file",
        "peer",
        "license_server",
        "network",
        "ingress",
        "block_storage",
    }
)


@dataclass(frozen=True)
class Command:
    """What a provider runs: the argument vector (argv[0] is the program) and extra environment."""

    argv: tuple[str, ...]
    env: dict[str, str]
    # The container image the command runs in (tool backend DOCKER), or None to run it natively.
    image: str | None = None


# ---- Validation ----


def validate_parameters(
    app: Application, values: Mapping[str, AppParameterValue | None] | None
) -> dict[str, AppParameterValue]:
    """Check `values` against the parameters `app` declares and fill in defaults.

    Returns the effective values, in the order the app declares its parameters; a parameter that is
    optional, has no default and got no value is absent. A `None` value counts as no value.

    Raises BadRequest with errorCode UNKNOWN_PARAMETER (a name the app does not declare),
    INVALID_PARAMETER (wrong kind, out of range, not an enumeration option) or MISSING_PARAMETER
    (a required parameter without a default got no value). Raises ValueError if the application's
    own default is malformed: that is a catalog bug, which `check_application` catches at load.
    """
    given = {name: value for name, value in (values or {}).items() if value is not None}
    declared = {param.name: param for param in app.invocation.parameters}
    for name in given:
        if name not in declared:
            raise BadRequest(f"unknown parameter supplied: '{name}'", UNKNOWN_PARAMETER)

    effective: dict[str, AppParameterValue] = {}
    for name, param in declared.items():
        value = given.get(name)
        if value is not None:
            value = _by_option_name(param, value)
            problem = value_problem(param, value)
            if problem is not None:
                raise BadRequest(problem, INVALID_PARAMETER)
            effective[name] = value
            continue
        default = default_value(param)
        if default is not None:
            effective[name] = default
        elif not param.optional:
            raise BadRequest(f"missing value for '{name}'", MISSING_PARAMETER)
    return effective


def value_problem(param: ApplicationParameter, value: AppParameterValue) -> str | None:
    """Why `value` is not acceptable for `param` (a user-facing sentence), or None if it is."""
    accepted = ACCEPTED_VALUES[param.type]
    if value.type not in accepted:
        expected = " or ".join(accepted)
        return f"incorrect parameter type for '{param.name}': expected {expected}, got {value.type}"

    if isinstance(param, IntegerParameter | FloatingPointParameter) and isinstance(
        value, IntegerValue | FloatingPointValue
    ):
        number = value.value
        invalid = f"invalid value for '{param.name}': {number}"
        if isinstance(number, float) and not math.isfinite(number):
            return f"{invalid} is not a finite number"
        if param.min is not None and number < param.min:
            return f"{invalid} is less than the minimum {param.min}"
        if param.max is not None and number > param.max:
            return f"{invalid} is greater than the maximum {param.max}"
        if isinstance(param, IntegerParameter) and param.step and param.step > 0:
            base = param.min if param.min is not None else 0
            if (int(number) - base) % param.step != 0:
                return f"{invalid} is not a step of {param.step} from {base}"
    if isinstance(param, EnumerationParameter) and isinstance(value, TextValue):
        options = [option.value for option in param.options]
        if value.value not in options:
            listed = ", ".join(f"'{option}'" for option in options)
            return f"invalid value for '{param.name}': '{value.value}' is not one of {listed}"
    return None


def _by_option_name(param: ApplicationParameter, value: AppParameterValue) -> AppParameterValue:
    """An enumeration value given as an option's name stands for that option's value, as
    UCloud's argument builder does (a value that is also some option's value wins)."""
    if not isinstance(param, EnumerationParameter) or not isinstance(value, TextValue):
        return value
    if any(option.value == value.value for option in param.options):
        return value
    for option in param.options:
        if option.name == value.value:
            return TextValue(value=option.value)
    return value


def default_value(param: ApplicationParameter) -> AppParameterValue | None:
    """The parameter's default as a value, or None when it has none.

    Catalogs write defaults either as a value object (`{"type": "integer", "value": 0}`) or as the
    bare value (`0`); both are accepted. Raises ValueError when the default does not fit the param.
    """
    raw = param.default_value
    if raw is None:
        return None
    if isinstance(raw, dict) and raw.get("type") in _VALUE_KINDS:
        try:
            value = _VALUE_ADAPTER.validate_python(raw, strict=True)
        except ValidationError as error:
            raise ValueError(f"malformed default for '{param.name}': {error}") from None
    else:
        if isinstance(raw, dict) and "value" in raw:
            # UCloud also writes {"type": "enumeration", "value": "x"}: only the value matters.
            raw = raw["value"]
        value = _bare_default(param, raw)
    problem = value_problem(param, value)
    if problem is not None:
        raise ValueError(f"malformed default: {problem}")
    return value


def _bare_default(param: ApplicationParameter, raw: object) -> AppParameterValue:
    # bool is a subclass of int: check it first so `true` is never taken for 1.
    kind = param.type
    if kind in ("text", "enumeration") and isinstance(raw, str):
        return TextValue(value=raw)
    if kind == "textarea" and isinstance(raw, str):
        return TextAreaValue(value=raw)
    if kind == "boolean" and isinstance(raw, bool):
        return BooleanValue(value=raw)
    if kind == "integer" and isinstance(raw, int) and not isinstance(raw, bool):
        return IntegerValue(value=raw)
    if kind == "floating_point" and isinstance(raw, int | float) and not isinstance(raw, bool):
        return FloatingPointValue(value=float(raw))
    if kind in ("input_file", "input_directory") and isinstance(raw, str):
        return FileValue(path=raw)
    raise ValueError(f"malformed default for '{param.name}': {raw!r} does not fit a {kind}")


def check_application(app: Application) -> None:
    """Raise ValueError if the application itself is inconsistent (used when loading a catalog).

    Checks: parameter names are unique, every default fits its parameter, and every parameter the
    invocation or environment refers to is declared (a `bool_flag` must refer to a boolean).
    """
    declared: dict[str, ApplicationParameter] = {}
    for param in app.invocation.parameters:
        if param.name in declared:
            raise ValueError(f"parameter '{param.name}' is declared twice")
        declared[param.name] = param
        default_value(param)

    invocations = [
        *app.invocation.invocation,
        *(app.invocation.environment or {}).values(),
    ]
    for invocation in invocations:
        if isinstance(invocation, VarInvocation):
            for name in invocation.variable_names:
                if name not in declared:
                    raise ValueError(f"invocation refers to undeclared parameter '{name}'")
        elif isinstance(invocation, BoolFlagInvocation):
            flag_param = declared.get(invocation.variable_name)
            if not isinstance(flag_param, BooleanParameter):
                raise ValueError(
                    f"bool_flag refers to '{invocation.variable_name}', "
                    "which is not a declared boolean parameter"
                )


# ---- Building the command ----


def build_command(app: Application, values: Mapping[str, AppParameterValue]) -> Command:
    """Expand the app's invocation and environment with `values` (the output of
    `validate_parameters`).

    An environment variable whose expansion is empty (a `var` whose parameters have no value) is
    left out rather than set to the empty string, so an absent optional parameter stays absent.
    """
    declared = {param.name: param for param in app.invocation.parameters}
    argv = [
        arg
        for invocation in app.invocation.invocation
        for arg in _expand(invocation, declared, values)
    ]
    env: dict[str, str] = {}
    for variable, invocation in (app.invocation.environment or {}).items():
        args = _expand(invocation, declared, values)
        if args:
            env[variable] = " ".join(args)
    return Command(argv=tuple(argv), env=env, image=container_image(app))


def container_image(app: Application) -> str | None:
    """The image the application runs in when its tool is a container (backend DOCKER)."""
    tool = app.invocation.tool.tool
    if tool is None or tool.description.backend != "DOCKER":
        return None
    return tool.description.image


def _expand(
    invocation: InvocationParameter,
    declared: Mapping[str, ApplicationParameter],
    values: Mapping[str, AppParameterValue],
) -> list[str]:
    match invocation:
        case WordInvocation():
            return [invocation.word]
        case VarInvocation():
            texts = [
                text
                for name in invocation.variable_names
                if (value := values.get(name)) is not None
                and (text := _value_text(declared.get(name), value)) is not None
            ]
            if not texts:
                return []
            args = _separate(invocation.prefix_global)
            for text in texts:
                args.extend(_with_variable_affixes(invocation, text))
            args.extend(_separate(invocation.suffix_global))
            return args
        case BoolFlagInvocation():
            flag_value = values.get(invocation.variable_name)
            is_set = isinstance(flag_value, BooleanValue) and flag_value.value
            return [invocation.flag] if is_set else []
        case EnvInvocation():
            # UCloud writes `$VAR` into a shell line; there is no shell here, and the variable is
            # already in the process environment, so it adds nothing to argv.
            return []
        case _:
            assert_never(invocation)


def _separate(affix: str) -> list[str]:
    # An affix that stands alone is one argument; catalogs often write "--port " with a trailing
    # space, which must not become part of the flag. An empty affix adds no argument at all.
    stripped = affix.strip()
    return [stripped] if stripped else []


def _with_variable_affixes(invocation: VarInvocation, text: str) -> list[str]:
    # A joined affix is kept verbatim ("--name=" + value); the value itself is never split or
    # dropped, even when empty, because it is what the user asked for.
    before: list[str] = []
    after: list[str] = []
    if invocation.is_prefix_variable_part_of_arg:
        text = invocation.prefix_variable + text
    else:
        before = _separate(invocation.prefix_variable)
    if invocation.is_suffix_variable_part_of_arg:
        text = text + invocation.suffix_variable
    else:
        after = _separate(invocation.suffix_variable)
    return [*before, text, *after]


def _value_text(param: ApplicationParameter | None, value: AppParameterValue) -> str | None:
    """How one value appears on the command line (reference §3.3 "Expands to")."""
    match value:
        case TextValue() | TextAreaValue():
            return value.value
        case IntegerValue():
            return str(value.value)
        case FloatingPointValue():
            return repr(value.value)
        case BooleanValue():
            if isinstance(param, BooleanParameter):
                return param.true_value if value.value else param.false_value
            return "true" if value.value else "false"
        case FileValue():
            return value.path
        case PeerValue():
            return value.hostname
        case LicenseServerValue() | NetworkValue() | IngressValue():
            return value.id
        case BlockStorageValue():
            return None
        case _:
            assert_never(value)
