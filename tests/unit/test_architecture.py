"""The layers: every import in the package runs one way, from a higher layer to a lower one
(LAYERS), and no module imports another that imports it back, however far round; domain/ and
geo/ stay pure, importing nothing of the web, the database or the line; interop/ (files in
standard formats) takes the rules, never the layers that call it; the API reaches the database
only through the use cases.

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
# The package's layers, lowest first. A module may import the modules of its own package and of
# the packages in lower layers: never a higher layer, nor another package of its own layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("openline",),  # the package root: the version, and nothing else
    ("domain",),  # the rules: pure functions of data, an injected clock and ids
    ("geo",),  # the geometry engine, on the rules' types
    # languages, file formats, keys and TLS; the console; the packaged base map's data sets
    ("i18n", "interop", "keys", "web", "basemap"),
    ("store",),  # the database: tables, queries, the journal, the one writer
    ("node",),  # a node's parts wired together: settings, key, database, events, tracks, finder
    ("services",),  # the use cases, each working through a Node
    ("line",),  # the running line: senders, the receiver, line checks, escalation, track loop
    ("api",),  # HTTP: the app, its routes, the federation endpoint
    ("cli",),  # the `openline` command
    ("__main__",),  # `python -m openline`
)
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
GEO_ALLOWED = {"h3", "numpy", "pyproj", "shapely"}
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


# --- the layers of the whole package ---------------------------------------------------------


def layer_of(module: str) -> tuple[int, str]:
    """The layer (its place in LAYERS) and the package of an ``openline`` module; a name in the
    package root itself (``openline.__version__``) is the root's."""
    parts = module.split(".")
    package = parts[1] if len(parts) > 1 else "openline"
    for place, packages in enumerate(LAYERS):
        if package in packages:
            return place, package
    if (SRC / "openline" / package).is_dir() or (SRC / "openline" / f"{package}.py").is_file():
        raise AssertionError(f"openline.{package} has no place in LAYERS: give it one")
    return 0, "openline"


def upward(imported: Import) -> bool:
    """An import of a higher layer, or of another package of the same layer."""
    if imported.top != "openline":
        return False
    place, package = layer_of(imported.importer)
    target_place, target = layer_of(imported.module)
    return target != package and target_place >= place


def packages_on_disk() -> set[str]:
    root = SRC / "openline"
    found = {"openline"}
    found |= {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
    found |= {p.stem for p in root.glob("*.py") if p.name != "__init__.py"}
    return found


def all_imports() -> list[Import]:
    return imports_in(("openline",))


def test_every_package_has_one_place_in_the_layers() -> None:
    listed = [package for packages in LAYERS for package in packages]
    assert len(listed) == len(set(listed))
    assert set(listed) == packages_on_disk()


def test_no_module_imports_a_higher_layer_or_a_sibling_package() -> None:
    found = all_imports()
    assert any(i.importer == "openline.api.app" for i in found)  # the whole package was read
    assert [i for i in found if upward(i)] == []


def test_the_api_reaches_the_database_only_through_the_use_cases() -> None:
    api = imports_in(("openline.api",))
    assert any(within(i.module, "openline.services") for i in api)
    assert [i for i in api if within(i.module, "openline.store")] == []


# Each of these imports, in the module named, breaks the layer order: it must be found.
UPWARD = [
    ("from openline.geo import index", "openline.domain.volumes"),
    ("from openline.store import tables", "openline.geo.index"),
    ("from openline.interop import formats", "openline.keys.tls"),
    ("import openline.node.assembly", "openline.store.writer"),
    ("from openline.services import messages", "openline.store.writer"),
    ("from openline.services.notifications import create", "openline.node.assembly"),
    ("from openline.line.runner import Line", "openline.services.messages"),
    ("from ..line import sender", "openline.services.outbox"),
    ("import openline.api.app", "openline.line.receiver"),
    ("from openline.cli.common import emit_json", "openline.api.routes.node"),
    ("from openline import __main__", "openline.cli.main"),
    ("from openline.cli import main", "openline"),
    ("if TYPE_CHECKING:\n    from openline.services import tracks", "openline.node.tracker"),
    ("def later():\n    from openline.api.deps import NodeDep", "openline.services.journal"),
]


@pytest.mark.parametrize(("source", "module"), UPWARD, ids=[f"{m}: {s}" for s, m in UPWARD])
def test_the_layer_check_catches_an_upward_import(source: str, module: str) -> None:
    found = imports_of(source, module, module == "openline", "example.py")
    assert any(upward(i) for i in found), found


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from openline import __version__", "openline.node.assembly"),
        ("from openline.domain.errors import NotFound", "openline.geo.index"),
        ("from openline.services import messages", "openline.line.receiver"),
        ("from openline.line.runner import Line", "openline.api.deps"),
        ("from .. import deps", "openline.api.routes.node"),
        ("from openline.cli.common import emit_json", "openline.cli.main"),
        ("import numpy as np", "openline.geo.index"),
    ],
)
def test_the_layer_check_allows_imports_downward_and_within_a_package(
    source: str, module: str
) -> None:
    assert not any(upward(i) for i in imports_of(source, module, False, "example.py"))


def test_the_api_check_catches_a_route_that_reads_the_store() -> None:
    found = imports_of(
        "from openline.store.journal import read_head", "openline.api.routes.node", False, "n.py"
    )
    assert any(within(i.module, "openline.store") for i in found)


# --- no circles ---------------------------------------------------------------------------------


def module_graph(imports: list[Import], modules: set[str]) -> dict[str, set[str]]:
    """Which of ``modules`` each one imports. A package stands for its ``__init__``: ``from
    openline.domain import errors`` imports both ``openline.domain`` and its ``errors``."""
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for imported in imports:
        if imported.module in modules and imported.module != imported.importer:
            graph[imported.importer].add(imported.module)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, however far round (Tarjan's strongly
    connected components of more than one module), each sorted."""
    order: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = lowest[module] = len(order)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in order:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], order[imported])
        if lowest[module] == order[module]:
            group = [stack.pop()]
            while group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(found)


def test_no_modules_import_each_other_round_a_circle() -> None:
    modules = {module_name(path) for path in modules_of(("openline",))}
    graph = module_graph(all_imports(), modules)
    assert "openline.store.writer" in graph["openline.node.assembly"]  # the graph has edges
    assert circles(graph) == []


def test_the_circle_check_finds_a_circle_however_far_round() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a", "e"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_circle_check_finds_two_modules_importing_each_other_under_type_checking() -> None:
    sources = {
        "openline.geo.first": "from openline.geo.second import Batch",
        "openline.geo.second": "if TYPE_CHECKING:\n    from openline.geo import first",
    }
    imports = [i for m, s in sources.items() for i in imports_of(s, m, False, f"{m}.py")]
    assert circles(module_graph(imports, set(sources))) == [sorted(sources)]


# --- no import deferred to dodge a circle ------------------------------------------------------

# The imports of Openline's own modules made in a function or under TYPE_CHECKING, outside the
# CLI (which defers its imports so that each command starts quickly), with why: start-up time,
# never a circle, which the layer and circle checks above would refuse anyway.
DEFERRED = {
    ("openline.node.assembly", "openline.geo.conflict_finder"): (
        "numpy, pyproj and shapely load only on a node that starts, not for one-shot commands"
    ),
    ("openline.node.live_finder", "openline.geo.conflict_finder"): (
        "the same: the finder is built on a node that starts, by its loading thread"
    ),
}


def deferred_imports(source: str, module: str, is_package: bool, filename: str) -> list[Import]:
    """The imports of ``source`` that are not statements of the module's top level."""
    tree = ast.parse(source, filename=filename)
    top = {
        f"{filename}:{node.lineno}"
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    return [i for i in imports_of(source, module, is_package, filename) if i.where not in top]


def test_no_module_outside_the_cli_defers_an_import_of_openline_but_those_declared() -> None:
    modules = {module_name(path) for path in modules_of(("openline",))}
    found = set()
    for path in modules_of(("openline",)):
        importer = module_name(path)
        if within(importer, "openline.cli"):
            continue
        source = path.read_text(encoding="utf-8")
        deferred = deferred_imports(source, importer, path.name == "__init__.py", str(path))
        found |= {(i.importer, i.module) for i in deferred if i.module in modules}
    assert found == set(DEFERRED)


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    from openline.store import tables",
        "if TYPE_CHECKING:\n    from openline.store.tables import journal",
        "class A:\n    import openline.store.tables",
    ],
)
def test_the_deferred_check_finds_an_import_below_the_top_level(source: str) -> None:
    found = deferred_imports(source, "openline.services.example", False, "example.py")
    assert "openline.store.tables" in [i.module for i in found]
    top = deferred_imports("from openline.store import tables", "openline.x", False, "x.py")
    assert top == []
