"""The core's imports run one way: a contract test over the source tree.

Every module of ``core/src/headwater`` is parsed (nothing is imported), and
every ``import`` / ``from ... import`` is collected: module level, inside
functions, and under ``if TYPE_CHECKING:`` alike. TYPE_CHECKING imports count
like any other: an annotation that names a higher layer is still knowledge of
that layer. The one exception is the short, explicit ``ANNOTATION_ONLY`` list:
the run context and the engine are handed ``Flow`` and ``Task`` objects by the
layer above and annotate them with their real types; those edges are allowed
only under ``TYPE_CHECKING`` (a runtime import of the same edge is reported).

The layers, top to bottom (a module may import its own layer and any layer
below it, never one above)::

    headwater (the lazy package facade), headwater.testing
    cli, server                      (siblings: see the rules below)
    flows, tasks, task_runners, _task_dispatch, _flow_retry
    _engine
    futures, states, _progress, _state_filters
    results, cache_policies
    blocks, _block_fields, _block_records, _block_views
    variables, artifacts, logging, concurrency
    _store
    settings, context, serializers, retries, _hashing
    errors, translation
    masking, lazy, _version, _files (leaves: import nothing of ours)

Besides the order, explicit rules: the server imports nothing from the CLI,
the CLI imports nothing private from the server, the leaves import nothing of
ours, and the integrations (``headwater_blocks``, ``headwater_aws``) import no
``headwater._*`` private module.

A failure lists every broken rule as ``file:line: importer -> imported (rule)``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core" / "src"
INTEGRATIONS = (
    ROOT / "blocks" / "src",
    ROOT / "integrations" / "aws" / "src",
)

#: Top to bottom. Each entry is one layer: the module prefixes that belong to
#: it. The longest matching prefix decides a module's layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("headwater", "headwater.testing"),
    ("headwater.cli", "headwater.server"),
    (
        "headwater.flows",
        "headwater.tasks",
        "headwater.task_runners",
        "headwater._task_dispatch",
        # Retrying a finished flow run imports its @flow again: an operation on flows.
        "headwater._flow_retry",
    ),
    ("headwater._engine",),
    (
        "headwater.futures",
        "headwater.states",
        "headwater._progress",
        # State filters: state names and types, parsed for the CLI, the API and the UI.
        "headwater._state_filters",
    ),
    ("headwater.results", "headwater.cache_policies"),
    (
        "headwater.blocks",
        # What the CLI and the server both show of blocks (outside the package so
        # the CLI can load them at startup without importing headwater.blocks).
        "headwater._block_fields",
        "headwater._block_records",
        "headwater._block_views",
    ),
    (
        "headwater.variables",
        "headwater.artifacts",
        "headwater.logging",
        "headwater.concurrency",
    ),
    ("headwater._store",),
    (
        "headwater.settings",
        "headwater.context",
        "headwater.serializers",
        "headwater.retries",
        "headwater._hashing",
    ),
    # Errors mask their messages; translating vendor exceptions builds on the errors.
    ("headwater.errors", "headwater.translation"),
    ("headwater.masking", "headwater.lazy", "headwater._version", "headwater._files"),
)

#: Modules that import nothing of ours at all.
LEAVES = ("headwater.masking", "headwater.lazy", "headwater._version", "headwater._files")

#: Edges that break a rule and are known, each with the reason it is still there
#: (importer module, imported module). Empty: every back edge has been cut. A new
#: entry needs a written reason and a plan to remove it.
ALLOWED: frozenset[tuple[str, str]] = frozenset()

#: Upward edges allowed under ``if TYPE_CHECKING:`` only: a lower layer that is
#: handed an object of the layer above names its type in annotations.
ANNOTATION_ONLY: frozenset[tuple[str, str]] = frozenset(
    {
        # The run contexts hold the Flow / Task whose run they describe.
        ("headwater.context", "headwater.flows"),
        ("headwater.context", "headwater.tasks"),
        # The engine runs the Flow / Task objects that flows.py and tasks.py hand it.
        ("headwater._engine.flow_engine", "headwater.flows"),
        ("headwater._engine.flow_run", "headwater.flows"),
        ("headwater._engine.task_cache", "headwater.tasks"),
        ("headwater._engine.task_call", "headwater.tasks"),
        # A flow run is handed the task runner its flow was given.
        ("headwater._engine.flow_run", "headwater.task_runners"),
    }
)


@dataclass(frozen=True)
class Edge:
    """One import statement: who imports what, and where."""

    path: Path
    line: int
    importer: str
    imported: str
    type_checking: bool = False
    """True when the import sits under ``if TYPE_CHECKING:``."""


@dataclass(frozen=True)
class Violation:
    """An edge that breaks a rule."""

    edge: Edge
    rule: str

    def __str__(self) -> str:
        e = self.edge
        return f"{e.path}:{e.line}: {e.importer} -> {e.imported} ({self.rule})"


def module_name(path: Path, src: Path) -> str:
    """The dotted module name of a source file under ``src``."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(src: Path, base: str, name: str) -> str:
    """``from base import name``: the submodule ``base.name`` if it exists, else ``base``."""
    candidate = f"{base}.{name}"
    as_path = src.joinpath(*candidate.split("."))
    if as_path.with_suffix(".py").is_file() or (as_path / "__init__.py").is_file():
        return candidate
    return base


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _import_nodes(
    node: ast.AST, type_checking: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement below ``node``, and whether it is under TYPE_CHECKING."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, type_checking
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _import_nodes(ast.Module(body=[stmt], type_ignores=[]), True)
            for stmt in child.orelse:
                yield from _import_nodes(ast.Module(body=[stmt], type_ignores=[]), type_checking)
        else:
            yield from _import_nodes(child, type_checking)


def imports_of(path: Path, src: Path) -> Iterator[Edge]:
    """Every import in one file, at any depth, with relative imports resolved."""
    importer = module_name(path, src)
    package = importer if _is_package(path) else importer.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node, type_checking in _import_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Edge(path, node.lineno, importer, alias.name, type_checking)
            continue
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - (node.level - 1)])
            if node.module:
                base = f"{base}.{node.module}" if base else node.module
        else:
            base = node.module or ""
        for alias in node.names:
            yield Edge(path, node.lineno, importer, _resolve(src, base, alias.name), type_checking)


def collect(src: Path, top: str) -> list[Edge]:
    """Every import edge between modules of the package ``top`` under ``src``."""
    edges: list[Edge] = []
    for path in sorted((src / top).rglob("*.py")):
        for edge in imports_of(path, src):
            root = edge.imported.split(".")[0]
            if root == top or (top == "headwater" and root.startswith("headwater_")):
                edges.append(edge)
    return edges


def _in(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str, layers: Sequence[Sequence[str]] = LAYERS) -> int | None:
    """The index of a module's layer (0 is the top), by its longest prefix."""
    best: tuple[int, int] | None = None
    for index, prefixes in enumerate(layers):
        for prefix in prefixes:
            if _in(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def check(
    edges: Sequence[Edge],
    *,
    layers: Sequence[Sequence[str]] = LAYERS,
    leaves: Sequence[str] = LEAVES,
    allowed: frozenset[tuple[str, str]] = ALLOWED,
    annotation_only: frozenset[tuple[str, str]] = ANNOTATION_ONLY,
) -> list[Violation]:
    """Every edge that breaks a rule, except the allowed ones."""
    found: list[Violation] = []
    for edge in edges:
        src, dst = edge.importer, edge.imported
        if (src, dst) in allowed or src == dst:
            continue
        if edge.type_checking and (src, dst) in annotation_only:
            continue
        rule: str | None = None
        if dst.split(".")[0] != "headwater":
            rule = "the core imports no integration package"
        elif any(_in(src, leaf) for leaf in leaves):
            rule = "a leaf module imports nothing of ours"
        elif _in(src, "headwater.server") and _in(dst, "headwater.cli"):
            rule = "the server imports nothing from the CLI"
        elif _in(src, "headwater.cli") and _in(dst, "headwater.server") and _is_private(dst):
            rule = "the CLI imports nothing private from the server"
        else:
            mine, theirs = layer_of(src, layers), layer_of(dst, layers)
            if mine is None:
                rule = "the importer has no layer: add it to LAYERS"
            elif theirs is None:
                rule = "the imported module has no layer: add it to LAYERS"
            elif theirs < mine:
                rule = "a lower layer imports a higher one"
        if rule is not None:
            found.append(Violation(edge, rule))
    return found


def check_integrations(edges: Sequence[Edge]) -> list[Violation]:
    """Integrations use the core's public API only."""
    return [
        Violation(edge, "an integration imports a private core module")
        for edge in edges
        if edge.imported.split(".")[0] == "headwater" and _is_private(edge.imported)
    ]


def _integration_edges() -> list[Edge]:
    edges: list[Edge] = []
    for src in INTEGRATIONS:
        for package in sorted(p for p in src.iterdir() if (p / "__init__.py").is_file()):
            for path in sorted(package.rglob("*.py")):
                edges.extend(e for e in imports_of(path, src) if e.imported.startswith("headwater"))
    return edges


def _report(violations: Sequence[Violation]) -> str:
    return "\n".join(dict.fromkeys(str(v) for v in violations))


# -- the contract -----------------------------------------------------------


def test_core_imports_run_one_way() -> None:
    violations = check(collect(CORE, "headwater"))
    assert not violations, "imports that break the layering:\n" + _report(violations)


def test_integrations_import_no_private_core_module() -> None:
    violations = check_integrations(_integration_edges())
    assert not violations, "private imports:\n" + _report(violations)


def test_every_core_module_has_a_layer() -> None:
    missing = [
        module_name(path, CORE)
        for path in sorted((CORE / "headwater").rglob("*.py"))
        if layer_of(module_name(path, CORE)) is None
    ]
    assert not missing


def test_allowed_edges_still_exist() -> None:
    """An allowed edge that is gone must leave the list, so it cannot come back."""
    edges = collect(CORE, "headwater")
    present = {(e.importer, e.imported) for e in edges}
    assert present >= ALLOWED, sorted(ALLOWED - present)
    annotations = {(e.importer, e.imported) for e in edges if e.type_checking}
    assert annotations >= ANNOTATION_ONLY, sorted(ANNOTATION_ONLY - annotations)


# -- the checker itself ------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


SYNTHETIC_LAYERS = (
    ("headwater.cli", "headwater.server"),
    ("headwater.states",),
    ("headwater._store",),
    ("headwater.errors",),
)


def _check(
    edges: Sequence[Edge],
    *,
    layers: Sequence[Sequence[str]] = SYNTHETIC_LAYERS,
    leaves: Sequence[str] = (),
    allowed: frozenset[tuple[str, str]] = frozenset(),
    annotation_only: frozenset[tuple[str, str]] = frozenset(),
) -> list[Violation]:
    """The checker with the synthetic layers and nothing allowed unless a test says so."""
    return check(
        edges, layers=layers, leaves=leaves, allowed=allowed, annotation_only=annotation_only
    )


def test_checker_reports_a_deferred_back_edge(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "headwater/__init__.py": "",
            "headwater/errors.py": "",
            "headwater/states.py": "from headwater import errors\n",
            "headwater/_store/__init__.py": "",
            "headwater/_store/orchestration.py": (
                "from headwater.errors import X\n\ndef f():\n    from headwater.states import StateType\n"
            ),
        },
    )
    violations = _check(
        collect(src, "headwater"), layers=SYNTHETIC_LAYERS, leaves=("headwater.errors",)
    )
    assert [(v.edge.importer, v.edge.imported, v.edge.line) for v in violations] == [
        ("headwater._store.orchestration", "headwater.states", 4)
    ]
    assert "orchestration.py:4: headwater._store.orchestration -> headwater.states" in str(
        violations[0]
    )
    assert "lower layer imports a higher one" in str(violations[0])


def test_checker_reports_relative_and_type_checking_imports(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "headwater/__init__.py": "",
            "headwater/errors.py": "from . import states\n",
            "headwater/states.py": "",
            "headwater/_store/__init__.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..states import State\n"
            ),
        },
    )
    violations = _check(
        collect(src, "headwater"), layers=SYNTHETIC_LAYERS, leaves=("headwater.errors",)
    )
    assert sorted((v.edge.importer, v.edge.imported, v.rule) for v in violations) == [
        ("headwater._store", "headwater.states", "a lower layer imports a higher one"),
        ("headwater.errors", "headwater.states", "a leaf module imports nothing of ours"),
    ]


def test_annotation_only_edges_must_stay_under_type_checking(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "headwater/__init__.py": "",
            "headwater/states.py": "",
            "headwater/_store/__init__.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from headwater.states import State\n"
                "def f():\n    from headwater.states import State\n"
            ),
        },
    )
    edge = ("headwater._store", "headwater.states")
    found = _check(
        collect(src, "headwater"),
        layers=SYNTHETIC_LAYERS,
        leaves=(),
        annotation_only=frozenset({edge}),
    )
    assert [(v.edge.line, v.edge.type_checking) for v in found] == [(5, False)]


def test_checker_reports_siblings_and_honours_the_allow_list(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "headwater/__init__.py": "",
            "headwater/cli/__init__.py": "from headwater.server import app\nfrom headwater.server._auth import x\n",
            "headwater/server/__init__.py": "",
            "headwater/server/app.py": "from headwater.cli._filters import F\n",
            "headwater/server/_auth.py": "",
            "headwater/cli/_filters.py": "",
        },
    )
    edges = collect(src, "headwater")
    rules = sorted(v.rule for v in _check(edges, layers=SYNTHETIC_LAYERS, leaves=()))
    assert rules == [
        "the CLI imports nothing private from the server",
        "the server imports nothing from the CLI",
    ]
    allowed = frozenset({("headwater.server.app", "headwater.cli._filters")})
    remaining = _check(edges, layers=SYNTHETIC_LAYERS, leaves=(), allowed=allowed)
    assert [v.rule for v in remaining] == ["the CLI imports nothing private from the server"]


def test_checker_reports_private_imports_of_integrations(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "vendor/__init__.py": "from headwater._store import x\nfrom headwater.blocks import Block\n"
        },
    )
    edges = list(imports_of(src / "vendor" / "__init__.py", src))
    assert [v.edge.imported for v in check_integrations(edges)] == ["headwater._store"]
