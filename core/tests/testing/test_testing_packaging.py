"""headwater.testing.packaging: each check passes on a good package and names what is wrong."""

from __future__ import annotations

import importlib.metadata
import types
from pathlib import Path

import pytest

import headwater.testing
from headwater.testing.packaging import (
    assert_distribution_layout,
    assert_entry_points,
    assert_import_is_light,
    assert_public_api,
    core_project,
)


def _module(names: list[str], **attrs: object) -> types.ModuleType:
    module = types.ModuleType("fake_pkg")
    module.__all__ = names  # type: ignore[attr-defined]
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def test_public_api_passes_on_a_real_package() -> None:
    assert_public_api(headwater.testing)


@pytest.mark.parametrize(
    ("module", "complaint"),
    [
        (_module(["b", "a"], a=1, b=2), "not sorted"),
        (_module(["a", "missing"], a=1), "fake_pkg.missing does not resolve"),
        (_module([]), "no __all__"),
    ],
)
def test_public_api_names_the_problem(module: types.ModuleType, complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        assert_public_api(module)


def test_import_is_light_sees_a_heavy_import() -> None:
    assert_import_is_light("json", ["sqlite3"])
    with pytest.raises(AssertionError, match=r"json\.decoder"):
        assert_import_is_light("json", ["json.decoder"])
    with pytest.raises(AssertionError, match="lazy"):
        assert_import_is_light("json", [], then="assert False, 'not lazy'")


def test_entry_points_of_a_distribution_without_any_fail() -> None:
    with pytest.raises(AssertionError, match=r"declares no headwater\.blocks entry point"):
        assert_entry_points("pytest", "headwater.blocks")


def test_entry_points_check_callables_and_names() -> None:
    loaded = assert_entry_points("pytest", "console_scripts")
    assert "pytest" in loaded
    with pytest.raises(AssertionError, match="console_scripts"):
        assert_entry_points("pytest", "console_scripts", {"pytest": "not-the-name"})


def _project(tmp_path: Path, core_requirement: str) -> Path:
    project = tmp_path / "pkg"
    package = project / "src" / "fake_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "py.typed").write_text("")
    version = importlib.metadata.version("headwater")
    (package / "_version.py").write_text(f'__version__ = "{version}"\n')
    for name in ("CHANGELOG.md", "README.md"):
        (project / name).write_text("x\n")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "fake"\ndependencies = ["{core_requirement}", "headwater-x==1"]\n'
    )
    return project


def test_distribution_layout_accepts_a_range_and_refuses_pins(tmp_path: Path) -> None:
    assert_distribution_layout(_project(tmp_path / "ok", "headwater>=0.1,<0.2"), "headwater")
    with pytest.raises(AssertionError, match="pin"):
        assert_distribution_layout(_project(tmp_path / "pin", "headwater==0.1.0"), "headwater")
    with pytest.raises(AssertionError, match="range"):
        assert_distribution_layout(_project(tmp_path / "open", "headwater>=0.1"), "headwater")


def test_distribution_layout_names_a_missing_file(tmp_path: Path) -> None:
    project = _project(tmp_path, "headwater>=0.1,<0.2")
    (project / "src" / "fake_pkg" / "py.typed").unlink()
    with pytest.raises(AssertionError, match=r"py\.typed"):
        assert_distribution_layout(project, "headwater")
    (project / "CHANGELOG.md").unlink()
    with pytest.raises(AssertionError, match=r"CHANGELOG\.md"):
        assert_distribution_layout(project, "headwater")


def test_core_project_is_the_checkout() -> None:
    assert (core_project() / "src" / "headwater" / "__init__.py").is_file()


def test_headwater_testing_needs_pytest_only_for_the_suites() -> None:
    assert_import_is_light(
        "headwater.testing",
        ["pytest"],
        then="import headwater.testing.reader, headwater.testing.packaging\n"
        "assert 'pytest' not in sys.modules",
    )
