"""Imports go one way, from the entry points (cli, api) down to the plain rules (domain).

Every top-level package and module under src/orchid is a layer, and `LAYERS` says which other layers
each may import. There are no exceptions: a new package fails here until it is given its place, an
upward import fails, and so does a cycle between two modules, even inside one layer. Routes use
the job service through its public methods only (never its store, catalog or providers).

    cli ─┬─> api ──> runtime ──> config
         │     │        └──────> service ──> catalog ──> invocation ──> schemas ──> domain ──> errors
         │     └──> web          └─> store, storage, providers, identity (──> domain)
         └─> client ──> invocation, schemas, domain
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "orchid"

BOTTOM = {"errors", "domain"}
WIRE = BOTTOM | {"schemas"}
# layer -> the other layers it may import.
LAYERS: dict[str, set[str]] = {
    "__init__": set(),
    "errors": set(),
    "settings": set(),
    # plain types and rules without I/O: job states, durations, product shapes
    "domain": {"errors"},
    # the wire format (pydantic models), built on the domain's types
    "schemas": BOTTOM,
    # turning an application and its parameter values into argv and env (pure rules on the wire types)
    "invocation": WIRE,
    "store": BOTTOM,
    "providers": BOTTOM,
    # drives on disk: the only code that turns a UCloud path into a host path
    "storage": BOTTOM,
    # Unix accounts: looking them up, refusing uid 0, creating orchid-<name> (the only useradd)
    "identity": BOTTOM,
    "catalog": WIRE | {"invocation"},
    "service": WIRE | {"invocation", "store", "storage", "providers", "catalog", "identity"},
    "config": WIRE | {"providers"},
    # the composition root: builds the store, providers, catalog and services from settings
    "runtime": WIRE | {"settings", "store", "storage", "providers", "catalog", "config", "service"},
    "web": set(),
    # routes use the services and the catalog (read-only), never the store or providers
    "api": WIRE | {"settings", "catalog", "service", "runtime", "web"},
    # the programs the default catalog's applications run: jobs, not Orchid
    "apps": set(),
    # the SDK: speaks the wire format over HTTP, knows nothing of the server's insides
    "client": WIRE | {"invocation"},
    # the client commands use the SDK; `serve`, `users` and `db` start the server's runtime;
    # `apps validate` and `apps reload` read application files and the server's catalog status
    "cli": WIRE | {"client", "settings", "runtime", "api", "catalog"},
}


def module_name(path: Path) -> str:
    parts = ("orchid", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(module: str) -> set[str]:
    """The orchid modules `module` imports anywhere in its text (functions included)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from orchid.cli import output` imports the module orchid.cli.output
            found.update(
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            )
    return {name for name in found if name == "orchid" or name.startswith("orchid.")}


def test_every_package_has_a_layer() -> None:
    present = {layer_of(module) for module in MODULES}
    assert present == set(LAYERS), (
        f"give new packages a place in LAYERS: {sorted(present - set(LAYERS))}; "
        f"remove gone ones: {sorted(set(LAYERS) - present)}"
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_upwards(module: str) -> None:
    layer = layer_of(module)
    imported = {layer_of(name) for name in imported_modules(module) if name != "orchid"}
    upward = imported - LAYERS[layer] - {layer}
    assert not upward, f"{module} ({layer}) imports {sorted(upward)}"


def test_layers_form_no_cycle() -> None:
    graphlib.TopologicalSorter(LAYERS).prepare()


def test_modules_import_each_other_in_no_cycle() -> None:
    graph = {module: imported_modules(module) & MODULES.keys() for module in MODULES}
    # A package's __init__ may gather names from its own modules; those edges point down.
    for module, imported in graph.items():
        graph[module] = {name for name in imported if not module.startswith(f"{name}.")}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"modules import each other: {' -> '.join(error.args[1])}")


def _service_reads(module: str) -> set[str]:
    """The attributes an api module reads on the JobService: `<x>.service.NAME` or
    `_service(request).NAME`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if (isinstance(owner, ast.Attribute) and owner.attr == "service") or (
            isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Name)
            and owner.func.id == "_service"
        ):
            names.add(node.attr)
    return names


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer_of(m) == "api"))
def test_routes_call_the_job_service_and_never_reach_into_it(module: str) -> None:
    # The service returns what routes serialise: a route calls one of its public methods and
    # never reads its store, catalog, providers, limits or events.
    from orchid.service.jobs import JobService

    reached = {
        name
        for name in _service_reads(module)
        if name.startswith("_") or not callable(getattr(JobService, name, None))
    }
    assert not reached, f"{module} reaches into JobService: {sorted(reached)}"
