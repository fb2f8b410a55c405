"""UCloud's application and tool documents (YAML, `application: v1` and `tool: v1`) read into
Orchid's application model.

Pure: text in, applications and tools out, or every problem found (file, field, sentence). One
file may hold several documents (`---`), tools and applications mixed; an application refers to
its tool by name and version, and `with_tool` joins them once every file is read, since the tool may
live in another file.

What Orchid cannot honour is refused here with a sentence saying so, rather than accepted and
ignored: a VNC application, a virtual-machine tool, `license_server`, `ingress`, `network_ip` and
`workflow` parameters, Jinja invocations. Keys UCloud accepts but that mean nothing here (`vnc`
settings of a non-VNC app, `modules`, `licenseServers`, `inference`) are accepted and dropped;
any other key is refused, because a misspelt key (`prefixGlobl`) must not vanish silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from orchid.catalog.documents import (
    INVOCATION_ITEMS,
    PARAMETER_TYPES,
    REFUSED_PARAMETER_TYPES,
    SUPPORTED_BACKENDS,
    ApplicationDocument,
    EnumerationDoc,
    EnvDoc,
    FlagDoc,
    FloatDoc,
    IntegerDoc,
    Loader,
    ToolDocument,
    VarDoc,
    as_text,
)
from orchid.catalog.problems import Problem
from orchid.domain.images import valid_image_reference
from orchid.invocation import check_application
from orchid.schemas.apps import (
    Application,
    ApplicationInvocation,
    ApplicationMetadata,
    ApplicationParameter,
    BoolFlagInvocation,
    EnvInvocation,
    InvocationParameter,
    NameAndVersion,
    SshDescription,
    Tool,
    ToolDescription,
    ToolReference,
    VarInvocation,
    WebDescription,
    WordInvocation,
)
from orchid.schemas.base import SimpleDuration

M = TypeVar("M", bound=BaseModel)
Key = tuple[str, str]

# ---- Results ----


@dataclass(frozen=True)
class FileContent:
    """What one file defines. Applications still lack their tool (see `with_tool`)."""

    file: str
    applications: list[Application] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_file(file: str, text: str) -> FileContent:
    """Every application and tool in `text` (the content of `file`), and every problem found.
    A file with any problem should not be used at all: its `applications` and `tools` are what
    could be read despite them (for the messages), not a partial catalog."""
    problems: list[Problem] = []
    try:
        documents = [d for d in yaml.load_all(text, Loader=Loader) if d is not None]
    except yaml.YAMLError as error:
        return FileContent(file, problems=[Problem(file, "", f"invalid YAML: {error}")])
    if not documents:
        problems.append(Problem(file, "", "holds no application or tool document"))
    content = FileContent(file, problems=problems)
    many = len(documents) > 1
    for index, document in enumerate(documents):
        prefix = f"[{index}] " if many else ""
        _read_document(content, document, prefix)
    return content


def _read_document(content: FileContent, document: object, prefix: str) -> None:
    report = _Reporter(content.file, prefix, content.problems)
    if not isinstance(document, dict):
        report("", "a document must be a mapping with an `application` or `tool` key")
        return
    if "application" in document:
        if document["application"] != "v1":
            version = as_text(document["application"])
            report(
                "application",
                f"{version!r} is not supported: Orchid reads `application: v1` documents "
                "(v2 and its Jinja invocation are not supported yet)",
            )
            return
        app = _application(document, report)
        if app is not None:
            content.applications.append(app)
    elif "tool" in document:
        if document["tool"] != "v1":
            report("tool", f"{as_text(document['tool'])!r} is not supported: write `tool: v1`")
            return
        tool = _tool(document, report)
        if tool is not None:
            content.tools.append(tool)
    else:
        report("", "a document needs an `application: v1` or a `tool: v1` key")


class _Reporter:
    def __init__(self, file: str, prefix: str, problems: list[Problem]) -> None:
        self.file = file
        self.prefix = prefix
        self.problems = problems

    def __call__(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, (self.prefix + path).strip(), message))

    def validate(self, model: type[M], raw: object, path: str) -> M | None:
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            for item in error.errors():
                where = _join(path, item["loc"])
                self(where, _message(item, model, raw))
            return None

    @property
    def count(self) -> int:
        return len(self.problems)


def _join(path: str, loc: Iterable[int | str]) -> str:
    out = path
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


def _message(item: Any, model: type[BaseModel], raw: object) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        known = [info.alias or name for name, info in model.model_fields.items()]
        key = str(item["loc"][-1]) if item["loc"] else ""
        close = difflib.get_close_matches(key, known, n=1)
        return "unknown field" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind == "missing":
        return "required field is missing"
    return str(item["msg"])


# ---- Tools ----


def _tool(raw: dict[str, Any], report: _Reporter) -> Tool | None:
    doc = report.validate(ToolDocument, raw, "")
    if doc is None:
        return None
    if doc.backend not in SUPPORTED_BACKENDS:
        report(
            "backend",
            f"{doc.backend} is not supported by Orchid (it runs NATIVE and DOCKER tools)",
        )
        return None
    image = doc.image or doc.container
    if doc.backend == "DOCKER" and not image:
        report("image", "a DOCKER tool needs an image (`image:` or `container:`)")
        return None
    if doc.backend == "DOCKER" and image and not valid_image_reference(image):
        report("image", f"{image!r} is not an image reference (like localhost/name:tag)")
        return None
    allocation = doc.default_time_allocation
    return Tool(
        description=ToolDescription(
            info=NameAndVersion(name=doc.name, version=doc.version),
            backend=doc.backend,
            image=image if doc.backend == "DOCKER" else None,
            default_number_of_nodes=doc.default_number_of_nodes,
            default_time_allocation=SimpleDuration(
                hours=allocation.hours, minutes=allocation.minutes, seconds=allocation.seconds
            )
            if allocation is not None
            else None,
            required_modules=doc.required_modules,
            authors=doc.authors,
            title=doc.title or doc.name,
            description=doc.description,
            license=doc.license,
            supported_providers=doc.supported_providers,
        )
    )


# ---- Applications ----


def _application(raw: dict[str, Any], report: _Reporter) -> Application | None:
    before = report.count
    doc = report.validate(ApplicationDocument, raw, "")
    # Parameters and invocation are checked even when the document as a whole is not valid, so
    # one run of `orchid apps validate` names every problem.
    raw_parameters = raw.get("parameters")
    raw_invocation = raw.get("invocation")
    raw_environment = raw.get("environment")
    parameters = [
        param
        for name, value in (raw_parameters.items() if isinstance(raw_parameters, dict) else ())
        if (param := _parameter(str(name), value, report)) is not None
    ]
    invocation = [
        item
        for index, value in enumerate(raw_invocation if isinstance(raw_invocation, list) else ())
        if (item := _invocation_item(value, f"invocation[{index}]", report)) is not None
    ]
    environment: dict[str, InvocationParameter] = {}
    if isinstance(raw_environment, dict):
        for variable, value in raw_environment.items():
            item = _invocation_item(value, f"environment.{variable}", report)
            if item is not None:
                environment[str(variable)] = item
    if doc is None:
        return None
    if doc.application_type == "VNC":
        report("applicationType", "VNC is not supported by Orchid (BATCH and WEB are)")
    if doc.web is not None and doc.application_type != "WEB":
        report("web", "web can only be specified with applicationType WEB")
    if report.count > before:
        return None
    try:
        app = Application(
            metadata=ApplicationMetadata(
                name=doc.name,
                version=doc.version,
                title=doc.title or doc.name,
                description=doc.description,
                authors=doc.authors,
                website=doc.website,
            ),
            invocation=ApplicationInvocation(
                tool=ToolReference(name=doc.tool.name, version=doc.tool.version),
                invocation=invocation,
                parameters=parameters,
                output_file_globs=doc.output_file_globs,
                application_type=doc.application_type,
                web=WebDescription(port=doc.web.port if doc.web else None)
                if doc.application_type == "WEB"
                else None,
                ssh=SshDescription(mode=doc.ssh.mode) if doc.ssh else None,
                environment=environment or None,
                allow_multi_node=doc.allow_multi_node,
                allow_additional_mounts=doc.allow_additional_mounts,
                allow_additional_peers=doc.allow_additional_peers,
                allow_public_ip=doc.allow_public_ip,
                allow_public_link=doc.allow_public_link,
                file_extensions=doc.file_extensions,
            ),
        )
    except ValidationError as error:  # the document model should make this unreachable
        report("", f"cannot be converted: {error}")
        return None
    try:
        check_application(app)
    except ValueError as error:
        report(_field_of(str(error)), str(error))
        return None
    return app


def _field_of(message: str) -> str:
    # check_application names parameters in quotes: point at the parameter when it does.
    start = message.find("'")
    end = message.find("'", start + 1)
    if "default" in message and 0 <= start < end:
        return f"parameters.{message[start + 1 : end]}.defaultValue"
    return "invocation" if "invocation" in message or "bool_flag" in message else ""


def _parameter(name: str, raw: object, report: _Reporter) -> ApplicationParameter | None:
    path = f"parameters.{name}"
    if not isinstance(raw, dict):
        report(path, "a parameter is a mapping with at least a `type`")
        return None
    kind = str(raw.get("type"))
    if kind in REFUSED_PARAMETER_TYPES:
        report(f"{path}.type", f"{kind}: {REFUSED_PARAMETER_TYPES[kind]}")
        return None
    model = PARAMETER_TYPES.get(kind)
    if model is None:
        known = ", ".join(PARAMETER_TYPES)
        report(f"{path}.type", f"unknown parameter type: {kind!r} (Orchid knows {known})")
        return None
    doc = report.validate(model, raw, path)
    if doc is None:
        return None
    if isinstance(doc, IntegerDoc | FloatDoc) and None not in (doc.min, doc.max):
        assert doc.min is not None and doc.max is not None
        if doc.min > doc.max:
            report(f"{path}.min", f"min {doc.min} is greater than max {doc.max}")
            return None
    values = doc.model_dump(exclude={"title"})
    values["title"] = doc.title or name
    values["name"] = name
    if isinstance(doc, EnumerationDoc):
        values["options"] = [{"name": o.name, "value": o.value} for o in doc.options]
    try:
        return _PARAMETER.validate_python(values)
    except ValidationError as error:
        report(path, f"cannot be converted: {error}")
        return None


_PARAMETER: TypeAdapter[ApplicationParameter] = TypeAdapter(ApplicationParameter)


def _invocation_item(raw: object, path: str, report: _Reporter) -> InvocationParameter | None:
    if isinstance(raw, str | int | float | bool):
        return WordInvocation(word=str(as_text(raw)))
    if not isinstance(raw, dict):
        report(path, "an invocation item is a word or a mapping with a `type`")
        return None
    kind = raw.get("type")
    if kind == "jinja":
        report(f"{path}.type", "jinja invocations are not supported by Orchid yet")
        return None
    model = INVOCATION_ITEMS.get(str(kind))
    if model is None:
        report(f"{path}.type", f"unknown invocation type {kind!r} (use var, flag or env)")
        return None
    doc = report.validate(model, raw, path)
    if isinstance(doc, VarDoc):
        names = [doc.vars] if isinstance(doc.vars, str) else doc.vars
        return VarInvocation(
            variable_names=names,
            prefix_global=doc.prefix_global,
            suffix_global=doc.suffix_global,
            prefix_variable=doc.prefix_variable,
            suffix_variable=doc.suffix_variable,
            is_prefix_variable_part_of_arg=doc.is_prefix_variable_part_of_arg,
            is_suffix_variable_part_of_arg=doc.is_suffix_variable_part_of_arg,
        )
    if isinstance(doc, FlagDoc):
        return BoolFlagInvocation(variable_name=doc.var, flag=doc.flag)
    if isinstance(doc, EnvDoc):
        return EnvInvocation(variable=doc.variable)
    return None


# ---- Joining applications to their tools ----


def tool_key(tool: Tool) -> Key:
    info = tool.description.info
    return (info.name, info.version)


def with_tool(app: Application, tools: Mapping[Key, Tool]) -> Application | None:
    """The application with its tool filled in, or None when no such tool is known."""
    ref = app.invocation.tool
    tool = tools.get((ref.name, ref.version))
    if tool is None:
        return None
    invocation = app.invocation.model_copy(
        update={"tool": ToolReference(name=ref.name, version=ref.version, tool=tool)}
    )
    return app.model_copy(update={"invocation": invocation})
