"""The import graph of the code keeps its layers (docs/developing.md, "Layers"): every import
of ``mptf`` and ``scoring``, at module level or inside a function, read from the source.

A unit is a package of ``mptf`` (``mptf.pipeline``) or one of its top-level modules
(``mptf.money``); a package's ``cli`` and ``demo`` modules are entry points of the command
line, which stand in the application layer with ``mptf.cli``. Each unit belongs to one layer
and imports only from its own layer or those below, and the units import each other without
circles."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# From the bottom up. A unit imports only from its own layer or below.
LAYERS: list[tuple[str, set[str]]] = [
    ("pure", {"scoring"}),
    ("foundation", {"mptf.extensions", "mptf.config", "mptf.money", "mptf.forms_util",
                    "mptf.formatting", "mptf.pagination", "mptf.urls", "mptf.charts",
                    "mptf.spreadsheet", "mptf.documents"}),
    ("models", {"mptf.models"}),
    ("services", {"mptf.services", "mptf.views", "mptf.refusals", "mptf.navigation",
                  "mptf.guards", "mptf.logs"}),
    ("domains", {"mptf.reference", "mptf.auth", "mptf.pipeline", "mptf.committee",
                 "mptf.review", "mptf.allocation", "mptf.notifications", "mptf.public",
                 "mptf.reports", "mptf.admin", "mptf.main"}),
    ("api", {"mptf.api"}),
    ("application", {"mptf", "mptf.web", "mptf.cli", "mptf.demo",
                     "mptf.demo_content", "entry points"}),
]
LAYER_OF = {unit: rank for rank, (_, units) in enumerate(LAYERS) for unit in units}
DOMAINS = LAYERS[4][1]
ENTRY_MODULES = ("cli", "demo")

# Imports that break the rules today, each with the room that removes it. The test excuses
# exactly these edges (source module -> imported unit) and nothing else.
EXCUSED = {
    ("mptf.auth.services", "mptf.api"):
        "end_tokens lives in mptf/api/tokens.py; the token service belongs with auth (B, C)",
}


def unit_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "scoring":
        return "scoring"
    if parts[0] != "mptf":
        return None
    if len(parts) == 1:
        return "mptf"
    if len(parts) >= 3 and parts[2] in ENTRY_MODULES and (ROOT / "mptf" / parts[1]).is_dir():
        return "entry points"
    if (ROOT / "mptf" / parts[1]).is_dir() or (ROOT / "mptf" / f"{parts[1]}.py").is_file():
        return f"mptf.{parts[1]}"
    return "mptf"


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (``from mptf import x`` is an import of ``mptf.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("mptf", "scoring"):
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


def modules() -> dict[str, set[str]]:
    """Module name -> the modules it imports, for every module of mptf (its migrations
    aside: Alembic runs them) and scoring."""
    out = {}
    for top in ("mptf", "scoring"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
                ".__init__")
            out[name] = imports_of(path)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return modules()


def edges(graph) -> dict[tuple[str, str], set[str]]:
    """(unit, imported unit) -> the modules whose imports make the edge, excused ones out."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for module, imported in graph.items():
        source = unit_of(module)
        for target in filter(None, map(unit_of, imported)):
            if target != source and (module, target) not in EXCUSED:
                out[(source, target)].add(module)
    return out


def test_every_unit_has_a_layer(graph):
    units = {unit_of(module) for module in graph}
    assert units - set(LAYER_OF) == set(), "add the new package to a layer in LAYERS"


def upward(graph) -> set[str]:
    return {f"{source} -> {target} ({', '.join(sorted(where))})"
            for (source, target), where in edges(graph).items()
            if LAYER_OF[target] > LAYER_OF[source]}


def circles(graph) -> set[str]:
    """Each circle of imports between units, as 'a -> b -> a'."""
    following: dict[str, set[str]] = defaultdict(set)
    for source, target in edges(graph):
        following[source].add(target)

    def circle_from(start: str) -> list[str] | None:
        path, seen = [start], set()

        def walk(unit: str) -> list[str] | None:
            for nxt in sorted(following[unit]):
                if nxt == start:
                    return [*path, start]
                if nxt not in seen:
                    seen.add(nxt)
                    path.append(nxt)
                    if found := walk(nxt):
                        return found
                    path.pop()
            return None

        return walk(start)

    return {" -> ".join(c) for unit in sorted(following) if (c := circle_from(unit))}


def test_no_import_goes_up_a_layer(graph):
    assert upward(graph) == set()


def test_the_units_import_each_other_without_circles(graph):
    assert circles(graph) == set()


def test_scoring_is_pure(graph):
    """scoring imports nothing of mptf, nor the web framework or the database."""
    for module, imported in graph.items():
        if module.split(".")[0] == "scoring":
            assert {i for i in imported
                    if i.split(".")[0] in ("mptf", "flask", "sqlalchemy", "flask_sqlalchemy",
                                           "werkzeug")} == set(), module


def test_models_import_no_domain_and_no_domain_imports_the_api(graph):
    for module, imported in graph.items():
        targets = set(filter(None, map(unit_of, imported)))
        if unit_of(module) == "mptf.models":
            assert targets & DOMAINS == set(), module
        if unit_of(module) in DOMAINS and (module, "mptf.api") not in EXCUSED:
            assert "mptf.api" not in targets, module


def test_the_documents_layer_renders_what_it_is_given(graph):
    """mptf.documents and the charts make no query: no session, no model, no domain."""
    for module, imported in graph.items():
        if unit_of(module) in ("mptf.documents", "mptf.charts", "mptf.spreadsheet"):
            forbidden = {i for i in imported if i.split(".")[0] == "sqlalchemy"
                         or (unit_of(i) or "").startswith("mptf.")
                         and LAYER_OF[unit_of(i)] > LAYER_OF["mptf.documents"]
                         or unit_of(i) == "mptf.extensions"}
            assert forbidden == set(), module
    assert not any("pyplot" in i for imported in graph.values() for i in imported)


def test_the_checks_see_a_circle_and_an_upward_import():
    """The checks themselves, on a made-up graph: the shared formatting module importing a
    domain that imports it back, and two domains importing each other."""
    fake = {"mptf.formatting": {"mptf.pipeline.history"},
            "mptf.pipeline.history": {"mptf.formatting"},
            "mptf.review.services": {"mptf.committee.services"},
            "mptf.committee.services": {"mptf.review"},
            "mptf.auth.services": {"mptf.api.tokens"}}
    assert upward(fake) == {"mptf.formatting -> mptf.pipeline (mptf.formatting)"}
    assert circles(fake) == {
        "mptf.committee -> mptf.review -> mptf.committee",
        "mptf.formatting -> mptf.pipeline -> mptf.formatting",
        "mptf.pipeline -> mptf.formatting -> mptf.pipeline",
        "mptf.review -> mptf.committee -> mptf.review"}
    assert unit_of("mptf.review.cli") == unit_of("mptf.api.cli") == "entry points"
    assert unit_of("mptf.charts") == "mptf.charts" and unit_of("mptf") == "mptf"
