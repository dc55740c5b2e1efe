"""The layer order of `bridge/` (issue 19 point 2), held over every import, the ones inside
functions too (they keep start-up fast but are arrows all the same).

`LAYERS` is the one place the order is written (docs/DESIGN.md, "Layers", describes it): each
module of `bridge/` belongs to the first layer whose patterns match its dotted name. A module may
import its own layer and those below it, never one above; the emulator stands apart and imports
only the pure rules (and only jobs and the CLI start it). Beside the order, the graph of the
top-level packages (`bridge.sync`, `bridge.discovery`, …) must have no cycle.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
from collections import defaultdict
from pathlib import Path

BRIDGE = Path(__file__).resolve().parent.parent / "bridge"

# Lowest first. Patterns are fnmatch patterns over dotted module names; the first match wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "rules",  # pure: no I/O, no database, no forum
        (
            "bridge",
            "bridge.rules.discourse",
            "bridge.redact",
            "bridge.terminal",
            "bridge.files",
            "bridge.samples",
            "bridge.models.enums",
            "bridge.rules",
            "bridge.rules.*",
            "bridge.rules.status",
            "bridge.sync.state_sql",
            "bridge.loop.activity_sql",
            "bridge.sync.external_id",
            "bridge.sync.titles",
            "bridge.sync.plan_error",
            "bridge.sync.create_order",
            "bridge.sync.drift",
            "bridge.sync.catalogue_record",
            "bridge.catalogue.inspiration",
            "bridge.jsontext",
            "bridge.connections.rules",
            "bridge.loop.durations",
            "bridge.loop.signature",
            "bridge.catalogue.refs",
            "bridge.catalogue.regions",
            "bridge.catalogue.evidence",
            "bridge.catalogue.numbers",
            "bridge.catalogue.catalan",
            "bridge.catalogue.problems",
            "bridge.catalogue.schema",  # validation, the one place
            "bridge.catalogue.views",
            "bridge.catalogue.sources",  # safe reading of a file (bounded, no database)
            "bridge.harvest.licences",
            "bridge.discovery.bands",
            "bridge.discovery.places",
        ),
    ),
    (
        "base",  # tables and their stores, configuration, the forum client, the catalogue
        (
            "bridge.models",
            "bridge.models.*",
            "bridge.config",
            "bridge.config_*",
            "bridge.settings",
            "bridge.db",
            "bridge.dbapi",
            "bridge.logs",
            "bridge.backup",
            "bridge.forum",
            "bridge.forum.*",
            "bridge.catalogue",
            "bridge.catalogue.*",
            "bridge.places",
            "bridge.places.*",
            "bridge.opendata.config",
            "bridge.harvest.config",
            "bridge.harvest.model",
            "bridge.*.store",
            "bridge.*.read_store",
            "bridge.*.index_store",
            "bridge.sync.state",
            "bridge.sync.*_read",
            "bridge.sync.lease",
            "bridge.sync.step_category",  # the steps' cached category, which their stores keep
            "bridge.sync.runs",
            "bridge.sync.revision",
            "bridge.loop.activity",
            "bridge.loop.payloads",
        ),
    ),
    (
        "engines",  # the sync kernel and the ranking
        (
            "bridge.sync",
            "bridge.sync.*",
            "bridge.discovery",
            "bridge.discovery.rank",
            "bridge.discovery.text",
            "bridge.discovery.index",
            "bridge.discovery.filters",
            "bridge.discovery.reasons",
            "bridge.discovery.relevance",
            "bridge.discovery.concepts",
            "bridge.discovery.locate",
        ),
    ),
    (
        # the observatory's forum side, open data, harvest, pictures, challenges, requests
        "features",
        (
            "bridge.observatory",
            "bridge.observatory.*",
            "bridge.discovery.*",
            "bridge.opendata",
            "bridge.opendata.*",
            "bridge.harvest",
            "bridge.harvest.*",
            "bridge.visual",
            "bridge.visual.*",
            "bridge.challenges",
            "bridge.challenges.*",
            "bridge.connections",
            "bridge.connections.*",
            "bridge.doctor",
            "bridge.doctor.*",
        ),
    ),
    (
        "jobs",  # what composes the engines into a run; the scheduler and the webhook receiver
        ("bridge.jobs", "bridge.jobs.*", "bridge.loop", "bridge.loop.*"),
    ),
    ("cli", ("bridge.cli", "bridge.cli.*", "bridge.__main__")),
]
# Modules whose name matches a lower layer's pattern but which belong higher: ranking's persisted
# index (scikit-learn's matrix in the discovery cache) is built above the pure ranking.
PLACED = {
    "bridge.observatory.store": "features",  # the observatory's own pages, beside its planner
    "bridge.discovery.index_store": "features",
    "bridge.discovery.index": "features",
}
APART = {"emulator": ("bridge.emulator", "bridge.emulator.*")}
# Who may import what stands apart: the emulator serves tests and the demo.
APART_USERS = {"emulator": ("jobs", "cli")}
APART_MAY_IMPORT = {"emulator": ("rules",)}

# Arrows allowed for a while; empty since the kernel (issue 19 point 1) was merged: nothing may be
# added here.
KNOWN_UNTIL_KERNEL: set[tuple[str, str]] = set()


def _name(path: Path) -> str:
    parts = list(path.relative_to(BRIDGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(BRIDGE.rglob("*.py")) if "migrations" not in p.parts}


def _type_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under `if TYPE_CHECKING:`: annotations only, never run, so
    they load nothing and close no cycle."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return ids


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every bridge module `name` imports when it runs, at its top or inside a function."""
    found: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from bridge.sync import state` is an arrow to the module `bridge.sync.state`
            submodules = [f"{module}.{a.name}" for a in node.names]
            targets = [t for t in submodules if t in known]
            if len(targets) < len(submodules):
                targets.append(module)
        else:
            continue
        for target in targets:
            if target != "bridge" and not target.startswith("bridge."):
                continue
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                found.add(target)
    return found


def layer_of(name: str) -> str:
    if name in PLACED:
        return PLACED[name]
    for group, patterns in APART.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return group
    for layer, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return layer
    raise AssertionError(f"{name} is in no layer: add it to LAYERS in tests/test_layers.py")


RANK = {layer: i for i, (layer, _) in enumerate(LAYERS)}


def allowed(source: str, target: str) -> bool:
    s, t = layer_of(source), layer_of(target)
    if s in APART:
        return s == t or t in APART_MAY_IMPORT[s]
    if t in APART:
        return s in APART_USERS[t]
    return RANK[t] <= RANK[s]


@functools.cache
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_no_import_runs_up() -> None:
    upward = {
        (source, target)
        for source, targets in graph().items()
        for target in targets
        if not allowed(source, target)
    }
    unexpected = sorted(upward - KNOWN_UNTIL_KERNEL)
    assert not unexpected, "imports that run up a layer:\n" + "\n".join(
        f"  {s} ({layer_of(s)}) -> {t} ({layer_of(t)})" for s, t in unexpected
    )


# What a command module may import of the CLI: the shared helpers (issue 19: the CLI a thin layer
# over the library and the jobs; a command that needs another's code finds it below the CLI).
CLI_SHARED = {"bridge.cli.app", "bridge.cli.tables"}


def test_cli_modules_share_only_app() -> None:
    crossing = sorted(
        f"{source} -> {target}"
        for source, targets in graph().items()
        if source.startswith("bridge.cli.") and source not in CLI_SHARED
        for target in targets
        if target.startswith("bridge.cli") and target not in CLI_SHARED
    )
    assert not crossing, "CLI modules importing each other:\n" + "\n".join(crossing)


def package(name: str) -> str:
    return ".".join(name.split(".")[:2])


def unit(name: str) -> str:
    """A top-level package's modules of one layer (`bridge.sync@base`): until the moves give each
    layer's modules their own package, a package that spans layers is one node per layer."""
    return f"{package(name)}@{layer_of(name)}"


# bridge.dbapi (the driver, no SQLAlchemy) falls back to bridge.db's engine for a database URL
# it does not speak itself, inside one function; bridge.db builds on bridge.dbapi.
KNOWN_CYCLE_ARROWS: set[tuple[str, str]] = {("bridge.dbapi", "bridge.db")}


def test_the_package_graph_has_no_cycle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph().items():
        for target in targets:
            if (source, target) in KNOWN_UNTIL_KERNEL | KNOWN_CYCLE_ARROWS:
                continue
            if unit(source) != unit(target):
                edges[unit(source)].add(unit(target))
    cycles = []
    for start in sorted(edges):
        # a path back to `start` through the packages it imports
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(edges[node]):
                if nxt == start:
                    cycles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert not cycles, "package cycles:\n" + "\n".join(f"  {c}" for c in sorted(set(cycles)))


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The AST walk finds an import in a function body, a relative one included."""
    pkg = tmp_path / "bridge" / "jobs"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "x.py").write_text("def f():\n    from bridge.cli import app\n    from . import y\n")
    (pkg / "y.py").write_text("")
    known = {"bridge.cli": pkg, "bridge.jobs.x": pkg / "x.py", "bridge.jobs.y": pkg / "y.py"}
    assert imports("bridge.jobs.x", pkg / "x.py", known) == {"bridge.cli", "bridge.jobs.y"}
    assert not allowed("bridge.jobs.x", "bridge.cli")
    assert allowed("bridge.cli", "bridge.jobs.x")
    assert not allowed("bridge.emulator.server", "bridge.sync.render")
    assert not allowed("bridge.sync.runner", "bridge.emulator")
