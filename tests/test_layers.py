"""Imports go one way: api -> service -> (domain, store, providers, catalog) -> schemas/domain.

A module may import from its own layer and from the layers listed for it, never upwards. `domain`
(rules) and `schemas` (the wire types those rules work on) are together the bottom layer: plain
types and functions without I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "orchid"

# layer -> the orchid layers it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "domain": {"errors", "schemas"},
    "schemas": {"domain", "errors"},
    "settings": set(),
    "store": {"domain", "errors"},
    "providers": {"domain", "errors", "schemas"},
    "catalog": {"domain", "errors", "schemas", "providers"},
    "service": {"domain", "errors", "schemas", "store", "providers", "catalog"},
    "config": {"domain", "errors", "schemas", "providers"},
    "runtime": {
        "domain",
        "errors",
        "schemas",
        "store",
        "providers",
        "catalog",
        "config",
        "service",
        "settings",
    },
    "api": {
        "domain",
        "errors",
        "schemas",
        "service",
        "catalog",
        "runtime",
        "settings",
        "store",
        "web",
    },
    "apps": set(),
    "client": {"schemas", "domain", "errors"},
    "web": set(),
}


def layer_of(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def orchid_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "orchid" and len(parts) > 1:
                found.add(parts[1])
    return found


MODULES = sorted(p for p in SRC.rglob("*.py") if layer_of(p) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_upwards(path: Path) -> None:
    layer = layer_of(path)
    upward = orchid_imports(path) - ALLOWED[layer] - {layer}
    assert not upward, f"{path.relative_to(SRC)} ({layer}) imports {sorted(upward)}"
