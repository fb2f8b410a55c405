"""UCloud's application and tool documents (`application: v1`, `tool: v1`) as pydantic models,
and the YAML loader that reads them. Only the shapes live here; `ucloud_yaml` reads files with
them and turns them into Orchid's application model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

# ---- YAML with numbers that remember how they were written ----


class SourceInt(int):
    source: str


class SourceFloat(float):
    source: str


class Loader(yaml.SafeLoader):
    """SafeLoader whose numbers keep their text, so `version: 1.10` stays "1.10", not "1.1"."""


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    value = SourceInt(yaml.SafeLoader.construct_yaml_int(loader, node))
    value.source = str(node.value)
    return value


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = SourceFloat(yaml.SafeLoader.construct_yaml_float(loader, node))
    value.source = str(node.value)
    return value


Loader.add_constructor("tag:yaml.org,2002:int", _int)
Loader.add_constructor("tag:yaml.org,2002:float", _float)


def as_text(value: object) -> object:
    """A scalar as the text the author wrote (`version: 1` is "1"); other values unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return getattr(value, "source", str(value))
    return value


Text = Annotated[str, BeforeValidator(as_text)]
Name = Annotated[str, BeforeValidator(as_text), Field(min_length=1, max_length=255)]


# ---- The documents, as UCloud writes them ----


class Document(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class DurationDoc(Document):
    hours: int = Field(0, ge=0)
    minutes: int = Field(0, ge=0)
    seconds: int = Field(0, ge=0)


class ToolDocument(Document):
    tool: Literal["v1"]
    name: Name
    version: Name
    title: str | None = None
    description: str = ""
    authors: list[str] = Field(default_factory=list)
    backend: Literal["NATIVE", "DOCKER", "VIRTUAL_MACHINE", "SINGULARITY"]
    image: str | None = None
    container: str | None = None
    default_number_of_nodes: int = Field(1, ge=1)
    default_time_allocation: DurationDoc | None = None
    default_tasks_per_node: object | None = None  # UCloud ignores it too
    required_modules: list[str] = Field(default_factory=list)
    license: str = ""
    supported_providers: list[str] | None = None


class ToolRefDoc(Document):
    name: Name
    version: Name


class WebDoc(Document):
    port: int | None = Field(None, ge=1, le=65535)


class SshDoc(Document):
    mode: Literal["DISABLED", "OPTIONAL", "MANDATORY"] = "DISABLED"


class ContainerDoc(Document):
    change_working_directory: bool | None = None
    run_as_root: bool | None = None
    run_as_real_user: bool | None = None


class ApplicationDocument(Document):
    application: Literal["v1"]
    name: Name
    version: Name
    title: str | None = None
    description: str = ""
    authors: list[str] = Field(default_factory=list)
    website: str | None = None
    tool: ToolRefDoc
    application_type: Literal["BATCH", "WEB", "VNC"] = "BATCH"
    web: WebDoc | None = None
    vnc: dict[str, Any] | None = None
    ssh: SshDoc | None = None
    inference: dict[str, Any] | None = None
    container: ContainerDoc | None = None
    invocation: list[Any] = Field(min_length=1)
    environment: dict[str, Any] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    output_file_globs: list[str] = Field(default_factory=list)
    allow_additional_mounts: bool | None = None
    allow_additional_peers: bool | None = None
    allow_multi_node: bool = False
    allow_public_ip: bool = False
    allow_public_link: bool | None = None
    file_extensions: list[str] = Field(default_factory=list)
    license_servers: list[str] = Field(default_factory=list)
    modules: dict[str, Any] | None = None


# Invocation items (besides plain scalars, which are words).


class VarDoc(Document):
    type: Literal["var"]
    vars: str | list[str]
    prefix_global: Text = ""
    suffix_global: Text = ""
    prefix_variable: Text = ""
    suffix_variable: Text = ""
    is_prefix_variable_part_of_arg: bool = False
    is_suffix_variable_part_of_arg: bool = False


class FlagDoc(Document):
    type: Literal["flag", "bool_flag"]
    var: str
    flag: Text


class EnvDoc(Document):
    type: Literal["env"]
    variable: str


INVOCATION_ITEMS: dict[str, type[Document]] = {
    "var": VarDoc,
    "flag": FlagDoc,
    "bool_flag": FlagDoc,
    "env": EnvDoc,
}

# Parameters.


class ParamDoc(Document):
    type: str
    title: str | None = None
    description: str = ""
    optional: bool = False
    default_value: Any = None


class NumberDoc(ParamDoc):
    unit_name: str | None = None


class IntegerDoc(NumberDoc):
    min: int | None = None
    max: int | None = None
    step: int | None = Field(None, gt=0)


class FloatDoc(NumberDoc):
    min: float | None = None
    max: float | None = None
    step: float | None = Field(None, gt=0)


class BooleanDoc(ParamDoc):
    true_value: Text = "true"
    false_value: Text = "false"


class OptionDoc(Document):
    name: Text
    value: Text


class EnumerationDoc(ParamDoc):
    options: list[OptionDoc] = Field(min_length=1)


PARAMETER_TYPES: dict[str, type[ParamDoc]] = {
    "text": ParamDoc,
    "textarea": ParamDoc,
    "integer": IntegerDoc,
    "floating_point": FloatDoc,
    "boolean": BooleanDoc,
    "enumeration": EnumerationDoc,
    "input_file": ParamDoc,
    "input_directory": ParamDoc,
}

# Types UCloud has that a machine running Orchid cannot provide yet, with the reason.
REFUSED_PARAMETER_TYPES: Mapping[str, str] = {
    "peer": "connecting to another job (peer) is not supported by Orchid yet",
    "license_server": "license servers are not supported by Orchid yet",
    "ingress": "public links (ingress) are not supported by Orchid yet",
    "network_ip": "public IP addresses are not supported by Orchid yet",
    "workflow": "workflow parameters are not supported by Orchid yet",
    "readme": "readme parameters are not supported by Orchid yet",
    "modules": "module parameters are not supported by Orchid yet",
    "private_network": "private networks are not supported by Orchid yet",
}

SUPPORTED_BACKENDS = ("NATIVE", "DOCKER")
