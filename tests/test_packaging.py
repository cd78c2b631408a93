"""The monorepo's packaging contract (ARCHITECTURE.md, "Packages and the direction of dependencies")."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    ROOT / "core",
    ROOT / "blocks",
    *sorted(p for p in (ROOT / "integrations").glob("*") if (p / "pyproject.toml").is_file()),
]


def _import_name(folder: Path) -> str:
    srcs = [p for p in (folder / "src").iterdir() if p.is_dir() and (p / "__init__.py").is_file()]
    assert len(srcs) == 1, f"{folder}: expected one import package under src/, found {srcs}"
    return srcs[0].name


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: p.name)
def test_every_package_is_a_complete_distribution(folder: Path) -> None:
    for required in ("pyproject.toml", "CHANGELOG.md", "README.md", "tests"):
        assert (folder / required).exists(), f"{folder.name} is missing {required}"
    pkg = folder / "src" / _import_name(folder)
    assert (pkg / "py.typed").is_file(), f"{folder.name} is missing py.typed"
    version_file = (pkg / "_version.py").read_text()
    assert re.fullmatch(r'__version__ = "\d+\.\d+\.\d+[^"]*"\n', version_file), version_file


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: p.name)
def test_headwater_dependencies_are_ranges_never_pins(folder: Path) -> None:
    meta = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    deps = list(meta.get("dependencies", []))
    for extra in meta.get("optional-dependencies", {}).values():
        deps.extend(extra)
    ours = [d for d in deps if re.match(r"headwater(-[a-z]+)?\b", d)]
    for dep in ours:
        assert "==" not in dep, f"{folder.name}: exact pin {dep!r}"
        assert "~=" not in dep, f"{folder.name}: compatible-release pin {dep!r}"
        assert ">=" in dep, f"{folder.name}: {dep!r} should be a range like >=0.1,<0.2"
        assert "<" in dep, f"{folder.name}: {dep!r} should be a range like >=0.1,<0.2"
    if folder.name != "core":
        assert ours, f"{folder.name} must declare the core as a dependency"


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: p.name)
def test_public_all_is_explicit_and_sorted(folder: Path) -> None:
    init = folder / "src" / _import_name(folder) / "__init__.py"
    tree = ast.parse(init.read_text())
    found = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert found, f"{init} has no __all__"
    names = ast.literal_eval(found[0])
    assert names == sorted(names), f"{init}: __all__ is not sorted"


@pytest.mark.parametrize("folder", [p for p in PACKAGES if p.name != "core"], ids=lambda p: p.name)
def test_no_package_imports_core_private_modules(folder: Path) -> None:
    offenders = []
    for path in (folder / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and re.match(r"headwater\._", node.module)
            ):
                offenders.append(f"{path.relative_to(ROOT)}: from {node.module}")
            if isinstance(node, ast.Import):
                offenders += [
                    f"{path.relative_to(ROOT)}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("headwater._")
                ]
    assert not offenders, offenders
