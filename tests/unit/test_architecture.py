"""The layers: domain/ and geo/ stay pure, importing nothing of the web, the database or the line;
interop/ (files in standard formats) takes the rules, never the layers that call it.

Every module is parsed, not imported, so a forbidden import is found even in a branch that
never runs (``if TYPE_CHECKING:``, a function body).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PURE_PACKAGES = ("openline.domain", "openline.geo")
# The formats at the edges are read and written by services/, the API and the CLI, so they must
# not import them back (nor the database or the line): they use domain/ and geo/ as those do.
INTEROP = "openline.interop"
FORBIDDEN = (
    "openline.store",
    "openline.line",
    "openline.api",
    "openline.web",
    "openline.node",
    "openline.services",
    "openline.cli",
)
# The only packages from outside the standard library that domain/ and geo/ may use: the
# geometry engine (geo/) also takes numpy, pyproj and shapely, as the design says; domain/ not.
THIRD_PARTY_ALLOWED = {"pydantic", "rfc8785"}
GEO_ALLOWED = {"numpy", "pyproj", "shapely"}
# Standard library modules that talk to the outside world: the pure layers take what they need
# (clocks, randomness, executors) injected, and never open a socket, a database or a process.
STDLIB_IO = {
    "asyncio",
    "ftplib",
    "http",
    "multiprocessing",
    "shutil",
    "smtplib",
    "socket",
    "socketserver",
    "sqlite3",
    "ssl",
    "subprocess",
    "tempfile",
    "urllib",
}


@dataclass(frozen=True)
class Import:
    module: str  # the absolute name of what is imported, e.g. openline.store.tables
    where: str  # path:line, for the failure message
    importer: str = ""  # the module that imports it, e.g. openline.geo.index

    @property
    def top(self) -> str:
        return self.module.split(".")[0]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool, filename: str) -> list[Import]:
    """Every import in ``source``, relative ones resolved against ``module``."""
    tree = ast.parse(source, filename=filename)
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, where, module) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # "from openline import store" imports openline.store: count each name too.
            found.append(Import(target, where, module))
            found.extend(Import(f"{target}.{alias.name}", where, module) for alias in node.names)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            found.append(Import("<dynamic import>", where, module))
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name in ("__import__", "import_module")


def modules_of(packages: tuple[str, ...]) -> list[Path]:
    paths: list[Path] = []
    for package in packages:
        paths.extend(sorted((SRC / package.replace(".", "/")).rglob("*.py")))
    return paths


def pure_modules() -> list[Path]:
    return modules_of(PURE_PACKAGES)


def pure_imports() -> list[Import]:
    return imports_in(PURE_PACKAGES)


def imports_in(packages: tuple[str, ...]) -> list[Import]:
    found: list[Import] = []
    for path in modules_of(packages):
        found.extend(
            imports_of(
                path.read_text(encoding="utf-8"),
                module_name(path),
                path.name == "__init__.py",
                str(path.relative_to(SRC.parent)),
            )
        )
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def forbidden_layer(imported: Import) -> bool:
    return any(within(imported.module, layer) for layer in FORBIDDEN)


def foreign(imported: Import) -> bool:
    """Outside the standard library, the allowed packages and openline itself."""
    allowed = set(sys.stdlib_module_names) | THIRD_PARTY_ALLOWED | {"openline", "__future__"}
    if within(imported.importer, "openline.geo"):
        allowed |= GEO_ALLOWED
    return imported.top not in allowed


def test_the_pure_layers_are_found_and_parsed() -> None:
    names = {module_name(path) for path in pure_modules()}
    assert {"openline.domain", "openline.domain.journal", "openline.geo"} <= names
    assert any(i.module == "openline.domain.canonical" for i in pure_imports())


def test_domain_and_geo_import_nothing_from_the_outer_layers() -> None:
    assert [i for i in pure_imports() if forbidden_layer(i)] == []


def test_domain_and_geo_take_from_openline_only_domain_and_geo() -> None:
    # So the two rules here hold for everything they pull in, not just what they name.
    inner = [i for i in pure_imports() if i.top == "openline"]
    assert [i for i in inner if not any(within(i.module, p) for p in PURE_PACKAGES)] == []


def test_domain_and_geo_use_only_the_standard_library_and_the_allowed_packages() -> None:
    assert [i for i in pure_imports() if foreign(i)] == []


def test_domain_and_geo_open_no_sockets_databases_or_processes() -> None:
    assert [i for i in pure_imports() if i.top in STDLIB_IO] == []


def test_domain_and_geo_import_nothing_by_name_at_run_time() -> None:
    assert [i for i in pure_imports() if i.module == "<dynamic import>"] == []


def test_interop_imports_nothing_from_the_outer_layers() -> None:
    assert any(i.importer == "openline.interop.formats" for i in imports_in((INTEROP,)))
    assert [i for i in imports_in((INTEROP,)) if forbidden_layer(i)] == []


def test_interop_takes_from_openline_only_domain_geo_and_itself() -> None:
    allowed = (*PURE_PACKAGES, INTEROP)
    inner = [i for i in imports_in((INTEROP,)) if i.top == "openline"]
    assert [i for i in inner if not any(within(i.module, p) for p in allowed)] == []


def test_the_interop_check_catches_an_import_of_the_api_inside_a_function() -> None:
    source = "def read():\n    from openline.api.strict_json import loads"
    found = imports_of(source, "openline.interop.formats", False, "formats.py")
    assert any(forbidden_layer(i) for i in found), found


# The checks above must be able to fail: each of these sources, placed in domain/, breaks one.
VIOLATIONS = [
    ("import openline.store", forbidden_layer),
    ("import openline.store.tables as t", forbidden_layer),
    ("from openline.api.app import create_app", forbidden_layer),
    ("from openline import services", forbidden_layer),
    ("from openline import node", forbidden_layer),
    ("from openline.cli import main", forbidden_layer),
    ("from ..line import outbox", forbidden_layer),
    ("from .. import web", forbidden_layer),
    ("if TYPE_CHECKING:\n    from openline.store import tables", forbidden_layer),
    ("def f():\n    import openline.services.setup", forbidden_layer),
    ("import sqlalchemy", foreign),
    ("from fastapi import FastAPI", foreign),
    ("import nacl.signing", foreign),
    ("import numpy as np", foreign),
    ("import sqlite3", lambda i: i.top in STDLIB_IO),
    ("from urllib.request import urlopen", lambda i: i.top in STDLIB_IO),
    ("importlib.import_module('openline.store')", lambda i: i.module == "<dynamic import>"),
    ("__import__('openline.api')", lambda i: i.module == "<dynamic import>"),
]


@pytest.mark.parametrize(("source", "rule"), VIOLATIONS, ids=[s for s, _ in VIOLATIONS])
def test_the_checks_catch_a_violation(source: str, rule: Callable[[Import], bool]) -> None:
    found = imports_of(source, "openline.domain.example", False, "example.py")
    assert any(rule(i) for i in found), found


@pytest.mark.parametrize(
    "source",
    [
        "from . import errors",
        "from .errors import InvalidInput",
        "from openline.domain.errors import InvalidInput",
        "import json",
        "from pydantic import BaseModel",
        "import rfc8785",
    ],
)
def test_the_checks_allow_what_the_pure_layers_may_use(source: str) -> None:
    found = imports_of(source, "openline.domain.example", False, "example.py")
    assert not any(forbidden_layer(i) or foreign(i) for i in found), found


@pytest.mark.parametrize(
    "source", ["import numpy as np", "from pyproj import Geod", "import shapely"]
)
def test_the_geometry_engine_alone_may_use_numpy_pyproj_and_shapely(source: str) -> None:
    assert not any(foreign(i) for i in imports_of(source, "openline.geo.index", False, "index.py"))
    assert all(foreign(i) for i in imports_of(source, "openline.domain.volumes", False, "v.py"))


def test_relative_imports_resolve_against_the_package() -> None:
    found = imports_of("from ..store import tables", "openline.domain.x", False, "x.py")
    assert [i.module for i in found] == ["openline.store", "openline.store.tables"]
    in_init = imports_of("from . import errors", "openline.domain", True, "__init__.py")
    assert [i.module for i in in_init] == ["openline.domain", "openline.domain.errors"]
