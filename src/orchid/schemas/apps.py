"""The application model: tools, invocation, typed parameters, and the values users give them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from orchid.schemas.base import SimpleDuration, Wire

# ---- Values a job gives its parameters (AppParameterValue, discriminated by "type") ----


class TextValue(Wire):
    type: Literal["text"] = "text"
    value: str


class TextAreaValue(Wire):
    type: Literal["textarea"] = "textarea"
    value: str


class IntegerValue(Wire):
    type: Literal["integer"] = "integer"
    value: int


class FloatingPointValue(Wire):
    type: Literal["floating_point"] = "floating_point"
    value: float


class BooleanValue(Wire):
    type: Literal["boolean"] = "boolean"
    value: bool


class FileValue(Wire):
    type: Literal["file"] = "file"
    path: str
    read_only: bool | None = None


class PeerValue(Wire):
    type: Literal["peer"] = "peer"
    hostname: str
    job_id: str


class LicenseServerValue(Wire):
    type: Literal["license_server"] = "license_server"
    id: str


class NetworkValue(Wire):
    type: Literal["network"] = "network"
    id: str


class IngressValue(Wire):
    type: Literal["ingress"] = "ingress"
    id: str


class BlockStorageValue(Wire):
    type: Literal["block_storage"] = "block_storage"
    id: str


AppParameterValue = Annotated[
    TextValue
    | TextAreaValue
    | IntegerValue
    | FloatingPointValue
    | BooleanValue
    | FileValue
    | PeerValue
    | LicenseServerValue
    | NetworkValue
    | IngressValue
    | BlockStorageValue,
    Field(discriminator="type"),
]

# ---- Parameters an application declares (ApplicationParameter, discriminated by "type") ----


class _Param(Wire):
    name: str
    optional: bool = False
    default_value: object | None = None
    title: str = ""
    description: str = ""


class TextParameter(_Param):
    type: Literal["text"] = "text"


class TextAreaParameter(_Param):
    type: Literal["textarea"] = "textarea"


class IntegerParameter(_Param):
    type: Literal["integer"] = "integer"
    min: int | None = None
    max: int | None = None
    step: int | None = None
    unit_name: str | None = None


class FloatingPointParameter(_Param):
    type: Literal["floating_point"] = "floating_point"
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit_name: str | None = None


class BooleanParameter(_Param):
    type: Literal["boolean"] = "boolean"
    true_value: str = "true"
    false_value: str = "false"


class EnumOption(Wire):
    name: str
    value: str


class EnumerationParameter(_Param):
    type: Literal["enumeration"] = "enumeration"
    options: list[EnumOption] = Field(default_factory=list)


class InputFileParameter(_Param):
    type: Literal["input_file"] = "input_file"


class InputDirectoryParameter(_Param):
    type: Literal["input_directory"] = "input_directory"


class PeerParameter(_Param):
    type: Literal["peer"] = "peer"
    suggested_application: str | None = None


ApplicationParameter = Annotated[
    TextParameter
    | TextAreaParameter
    | IntegerParameter
    | FloatingPointParameter
    | BooleanParameter
    | EnumerationParameter
    | InputFileParameter
    | InputDirectoryParameter
    | PeerParameter,
    Field(discriminator="type"),
]

# ---- How the command line is built (InvocationParameter, discriminated by "type") ----


class WordInvocation(Wire):
    type: Literal["word"] = "word"
    word: str


class VarInvocation(Wire):
    type: Literal["var"] = "var"
    variable_names: list[str]
    prefix_global: str = ""
    suffix_global: str = ""
    prefix_variable: str = ""
    suffix_variable: str = ""
    is_prefix_variable_part_of_arg: bool = False
    is_suffix_variable_part_of_arg: bool = False


class BoolFlagInvocation(Wire):
    type: Literal["bool_flag"] = "bool_flag"
    variable_name: str
    flag: str


class EnvInvocation(Wire):
    type: Literal["env"] = "env"
    variable: str


InvocationParameter = Annotated[
    WordInvocation | VarInvocation | BoolFlagInvocation | EnvInvocation,
    Field(discriminator="type"),
]

# ---- Tools and applications ----


class NameAndVersion(Wire):
    name: str
    version: str


class ToolDescription(Wire):
    info: NameAndVersion
    backend: Literal["SINGULARITY", "DOCKER", "VIRTUAL_MACHINE", "NATIVE"] = "NATIVE"
    image: str | None = None
    default_number_of_nodes: int = 1
    default_time_allocation: SimpleDuration | None = None
    required_modules: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    title: str = ""
    description: str = ""
    license: str = ""
    supported_providers: list[str] | None = None


class Tool(Wire):
    owner: str = "orchid"
    created_at: int = 0
    modified_at: int = 0
    description: ToolDescription


class ToolReference(Wire):
    name: str
    version: str
    tool: Tool | None = None


class SshDescription(Wire):
    mode: Literal["DISABLED", "OPTIONAL", "MANDATORY"] = "DISABLED"


class WebDescription(Wire):
    port: int | None = None


class ApplicationInvocation(Wire):
    tool: ToolReference
    invocation: list[InvocationParameter]
    parameters: list[ApplicationParameter] = Field(default_factory=list)
    output_file_globs: list[str] = Field(default_factory=list)
    application_type: Literal["BATCH", "VNC", "WEB"] = "BATCH"
    web: WebDescription | None = None
    ssh: SshDescription | None = None
    environment: dict[str, InvocationParameter] | None = None
    allow_multi_node: bool = True
    allow_additional_mounts: bool | None = None
    allow_additional_peers: bool | None = None
    allow_public_ip: bool = False
    allow_public_link: bool | None = None
    file_extensions: list[str] = Field(default_factory=list)


class ApplicationMetadata(Wire):
    name: str
    version: str
    authors: list[str] = Field(default_factory=list)
    title: str
    description: str = ""
    website: str | None = None
    public: bool = True
    flavor_name: str | None = None
    group: str | None = None
    created_at: int | None = None


class Application(Wire):
    metadata: ApplicationMetadata
    invocation: ApplicationInvocation


class ApplicationWithFavoriteAndTags(Application):
    favorite: bool = False
    tags: list[str] = Field(default_factory=list)
