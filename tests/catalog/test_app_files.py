"""Application files in UCloud's format: what they define, what is refused and why, and reloading."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchid.catalog import ApplicationFiles, Catalog, version_key
from orchid.catalog.loader import builtin_apps_dir
from orchid.catalog.ucloud_yaml import parse_file
from orchid.errors import BadRequest
from orchid.invocation import build_command, validate_parameters
from orchid.schemas.apps import BooleanValue, IntegerValue, TextValue

EXAMPLES = Path(__file__).parents[2] / "examples" / "apps"

TOOL = """\
tool: v1
name: tools
version: "1"
backend: NATIVE
"""


def app_doc(name: str = "hello", version: str = "1", body: str = "") -> str:
    head = f"""\
application: v1
name: {name}
version: "{version}"
tool: {{name: tools, version: "1"}}
"""
    if "invocation:" not in body:
        head += "invocation: [echo, {type: var, vars: who}]\n"
        if "parameters:" not in body:
            head += "parameters:\n  who: {type: text, optional: true}\n"
    return head + textwrap.dedent(body)


def write(directory: Path, name: str, *documents: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("---\n".join(documents), encoding="utf-8")
    return path


def problems_of(text: str) -> list[str]:
    return [f"{p.field}: {p.message}" for p in parse_file("f.yml", text).problems]


# ---- What a file defines ----


def test_the_example_app_loads_and_counts_down() -> None:
    loaded = ApplicationFiles([builtin_apps_dir(), EXAMPLES]).load()
    app = Catalog(loaded.applications).application("countdown", "1.0")

    values = validate_parameters(
        app, {"start": IntegerValue(value=3), "label": TextValue(value="Beep")}
    )
    command = build_command(app, values)

    assert loaded.problems == []
    assert command.argv[:2] == ("bash", "-c")
    assert command.argv[3:] == ("countdown", "3", "1", "0.1", "Lift-off!", "quiet")
    assert command.env == {"LABEL": "beep"}  # the option's name stands for its value
    assert app.invocation.tool.tool is not None
    assert app.invocation.tool.tool.description.default_time_allocation is not None


def test_every_supported_parameter_type_is_read() -> None:
    text = "---\n".join(
        [
            TOOL,
            app_doc(
                body="""\
                invocation: [run, {type: var, vars: [t, ta, i, f, b, e, inf, ind]}]
                parameters:
                  t: {type: text, optional: true}
                  ta: {type: textarea, optional: true}
                  i: {type: integer, min: 0, max: 10, step: 2, unitName: GiB, optional: true}
                  f: {type: floating_point, min: 0.5, max: 1.5, optional: true}
                  b: {type: boolean, trueValue: "yes", falseValue: "no", optional: true}
                  e:
                    type: enumeration
                    options: [{name: One, value: "1"}, {name: Two, value: "2"}]
                    optional: true
                  inf: {type: input_file, optional: true}
                  ind: {type: input_directory, optional: true}
                """
            ),
        ]
    )

    content = parse_file("f.yml", text)

    assert content.problems == []
    [app] = content.applications
    types = [(p.name, p.type) for p in app.invocation.parameters]
    assert types == [
        ("t", "text"),
        ("ta", "textarea"),
        ("i", "integer"),
        ("f", "floating_point"),
        ("b", "boolean"),
        ("e", "enumeration"),
        ("inf", "input_file"),
        ("ind", "input_directory"),
    ]
    assert app.invocation.parameters[0].title == "t"  # the title defaults to the name


def test_web_apps_declare_their_port_and_environment() -> None:
    text = app_doc(
        body="""\
        applicationType: WEB
        web: {port: 8888}
        environment:
          GREETING: {type: var, vars: who}
          MODE: batch
        """
    )

    [app] = parse_file("f.yml", text).applications

    assert app.invocation.application_type == "WEB"
    assert app.invocation.web is not None and app.invocation.web.port == 8888
    command = build_command(app, validate_parameters(app, {"who": TextValue(value="you")}))
    assert command.env == {"GREETING": "you", "MODE": "batch"}


def test_versions_keep_the_text_the_author_wrote() -> None:
    text = "application: v1\nname: a\nversion: 1.10\ntool: {name: t, version: 2}\ninvocation: [x]\n"

    [app] = parse_file("f.yml", text).applications

    assert app.metadata.version == "1.10"
    assert (app.invocation.tool.name, app.invocation.tool.version) == ("t", "2")


def test_several_versions_coexist_and_the_newest_is_the_default(tmp_path: Path) -> None:
    write(tmp_path, "tools.yml", TOOL)
    for version in ("1.9", "1.10", "1.2"):
        write(tmp_path, f"hello-{version}.yml", app_doc(version=version))

    catalog = Catalog(ApplicationFiles([tmp_path]).load().applications)

    assert [a.metadata.version for a in catalog.applications()] == ["1.2", "1.9", "1.10"]
    newest = catalog.newest("hello")
    assert newest is not None and newest.metadata.version == "1.10"
    assert catalog.newest("nothing") is None
    assert version_key("2025.11") > version_key("2025.9")


def test_a_container_tool_needs_an_image() -> None:
    docker_tool = "tool: v1\nname: c\nversion: '1'\nbackend: DOCKER\ncontainer: localhost/x:1\n"

    [tool] = parse_file("f.yml", docker_tool).tools

    assert (tool.description.backend, tool.description.image) == ("DOCKER", "localhost/x:1")
    assert problems_of(docker_tool.replace("container: localhost/x:1\n", "")) == [
        "image: a DOCKER tool needs an image (`image:` or `container:`)"
    ]


# ---- What is refused, naming the field ----


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            app_doc(body="parameters:\n  lic: {type: license_server}\n"),
            "parameters.lic.type: license_server: license servers are not supported by Orchid yet",
        ),
        (
            app_doc(body="parameters:\n  web: {type: ingress}\n"),
            "parameters.web.type: ingress: public links (ingress) are not supported by Orchid yet",
        ),
        (
            app_doc(body="parameters:\n  x: {type: txt}\n"),
            "parameters.x.type: unknown parameter type: 'txt' (Orchid knows text, textarea, "
            "integer, floating_point, boolean, enumeration, input_file, input_directory)",
        ),
        (
            app_doc(body="applicationTyp: WEB\n"),
            "applicationTyp: unknown field (did you mean 'applicationType'?)",
        ),
        (
            app_doc(body="parameters:\n  n: {type: integer, min: 5, max: 1}\n"),
            "parameters.n.min: min 5 is greater than max 1",
        ),
        (
            app_doc(body="parameters:\n  n: {type: integer, step: 0}\n"),
            "parameters.n.step: Input should be greater than 0",
        ),
        (
            app_doc(body="parameters:\n  n: {type: integer, min: 1, step: 2, defaultValue: 2}\n"),
            "parameters.n.defaultValue: malformed default: invalid value for 'n': 2 is not a "
            "step of 2 from 1",
        ),
        (
            app_doc(body="invocation: [echo, {type: var, vars: whom}]\n"),
            "invocation: invocation refers to undeclared parameter 'whom'",
        ),
        (
            app_doc(body="invocation: [echo, {type: jinja, template: x}]\n"),
            "invocation[1].type: jinja invocations are not supported by Orchid yet",
        ),
        (
            app_doc(body="applicationType: VNC\n"),
            "applicationType: VNC is not supported by Orchid (BATCH and WEB are)",
        ),
        (
            app_doc(body="web: {port: 80}\n"),
            "web: web can only be specified with applicationType WEB",
        ),
        (app_doc().replace("name: hello\n", ""), "name: required field is missing"),
        (
            "application: v2\nname: x\n",
            "application: 'v2' is not supported: Orchid reads `application: v1` documents (v2 and its Jinja invocation are not supported yet)",
        ),
        (
            "tool: v1\nname: t\nversion: '1'\nbackend: VIRTUAL_MACHINE\n",
            "backend: VIRTUAL_MACHINE is not supported by Orchid (it runs NATIVE and DOCKER tools)",
        ),
        ("just text\n", ": a document must be a mapping with an `application` or `tool` key"),
        ("name: [unclosed\n", ""),
    ],
    ids=[
        "license_server",
        "ingress",
        "unknown-type",
        "misspelt-key",
        "min-over-max",
        "zero-step",
        "default-off-step",
        "undeclared-variable",
        "jinja",
        "vnc",
        "web-on-batch",
        "missing-name",
        "v2",
        "virtual-machine",
        "not-a-mapping",
        "bad-yaml",
    ],
)
def test_a_wrong_document_is_refused_with_the_field_and_the_reason(
    text: str, expected: str
) -> None:
    problems = problems_of(text)

    if expected:
        assert expected in problems
    else:
        assert len(problems) == 1 and problems[0].startswith(": invalid YAML: ")


def test_documents_of_a_file_are_numbered_in_messages() -> None:
    text = "---\n".join([TOOL, app_doc(body="parameters:\n  x: {type: ingress}\n")])

    [problem] = parse_file("dir/f.yml", text).problems

    assert str(problem).startswith("dir/f.yml: [1] parameters.x.type: ingress: ")


def test_duplicates_and_missing_tools_are_reported_and_left_out(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", TOOL, app_doc())
    write(tmp_path, "b.yml", app_doc())  # hello@1 again
    orphan = app_doc(name="orphan").replace("name: tools", "name: nowhere")
    write(tmp_path, "c.yml", orphan)

    loaded = ApplicationFiles([tmp_path]).load()

    assert [a.metadata.name for a in loaded.applications] == ["hello"]
    assert [str(p) for p in loaded.problems] == [
        f"{tmp_path}/b.yml: application hello@1 is already defined in {tmp_path}/a.yml; "
        "this one is ignored",
        f"{tmp_path}/c.yml: tool: orphan@1 needs tool nowhere@1, which no catalog file defines "
        "(a `tool: v1` document)",
    ]


def test_a_missing_directory_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    builtin = ApplicationFiles([builtin_apps_dir()]).load()
    loaded = ApplicationFiles([builtin_apps_dir(), tmp_path / "nowhere"]).load()

    assert len(loaded.applications) == len(builtin.applications) > 0
    assert [str(p) for p in loaded.problems] == [
        f"{tmp_path}/nowhere: the directory does not exist"
    ]


# ---- Reloading ----


def test_reload_adds_new_versions_and_keeps_the_last_good_file(tmp_path: Path) -> None:
    write(tmp_path, "tools.yml", TOOL)
    hello = write(tmp_path, "hello.yml", app_doc(version="1"))
    files = ApplicationFiles([tmp_path])
    assert [a.metadata.version for a in files.load().applications] == ["1"]

    # A new version appears, and the old file breaks.
    write(tmp_path, "hello-2.yml", app_doc(version="2"))
    hello.write_text(app_doc(version="1") + "parameters: {x: {type: nope}}\n", encoding="utf-8")
    loaded = files.load()

    assert sorted(a.metadata.version for a in loaded.applications) == ["1", "2"]
    assert [f"{p.field}: {p.message}" for p in loaded.problems if p.file == str(hello)] == [
        "parameters.x.type: unknown parameter type: 'nope' (Orchid knows text, textarea, "
        "integer, floating_point, boolean, enumeration, input_file, input_directory)",
        ": not reloaded: its previous version stays in use",
    ]

    # A removed file takes its applications with it.
    hello.unlink()
    assert [a.metadata.version for a in files.load().applications] == ["2"]


def test_a_new_broken_file_is_reported_and_left_out(tmp_path: Path) -> None:
    write(tmp_path, "tools.yml", TOOL)
    files = ApplicationFiles([tmp_path])
    files.load()

    write(tmp_path, "new.yml", "application: v1\nname: [")
    loaded = files.load()

    assert loaded.applications == []
    assert [p.file for p in loaded.problems] == [f"{tmp_path}/new.yml"]


# ---- Values checked against what a file declares ----


def test_integer_steps_and_enumeration_names_are_honoured() -> None:
    text = app_doc(
        body="""\
        invocation: [run, {type: var, vars: [n, e, b]}]
        parameters:
          n: {type: integer, min: 1, max: 9, step: 4}
          e: {type: enumeration, options: [{name: Small, value: s}, {name: Large, value: l}]}
          b: {type: boolean, trueValue: "on", falseValue: "off"}
        """
    )
    [app] = parse_file("f.yml", text).applications

    good = {
        "n": IntegerValue(value=5),
        "e": TextValue(value="Large"),
        "b": BooleanValue(value=True),
    }
    assert build_command(app, validate_parameters(app, good)).argv == ("run", "5", "l", "on")

    with pytest.raises(BadRequest, match="3 is not a step of 4 from 1"):
        validate_parameters(app, {**good, "n": IntegerValue(value=3)})
    with pytest.raises(BadRequest, match="'Huge' is not one of 's', 'l'"):
        validate_parameters(app, {**good, "e": TextValue(value="Huge")})
