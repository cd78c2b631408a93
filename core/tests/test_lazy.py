"""headwater.lazy.lazy_exports, on a real package written to a temporary folder."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def lazypkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    package = tmp_path / "hw_lazy_demo"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            from headwater.lazy import lazy_exports

            __all__ = ["Heavy", "helper"]
            own = 1
            __getattr__, __dir__ = lazy_exports(
                __name__, {"Heavy": "hw_lazy_demo.heavy", "helper": "hw_lazy_demo.heavy"}
            )
            """
        )
    )
    (package / "heavy.py").write_text(
        "LOADS = []\nLOADS.append(1)\nclass Heavy: ...\ndef helper() -> int:\n    return 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "hw_lazy_demo"
    for name in [m for m in sys.modules if m.startswith("hw_lazy_demo")]:
        del sys.modules[name]


def test_names_are_imported_on_first_use_and_kept(lazypkg: str) -> None:
    import importlib

    package = importlib.import_module(lazypkg)
    assert f"{lazypkg}.heavy" not in sys.modules
    assert package.helper() == 42
    heavy = sys.modules[f"{lazypkg}.heavy"]
    assert package.Heavy is heavy.Heavy
    assert "Heavy" in vars(package)  # stored: the next lookup is a plain attribute
    assert heavy.LOADS == [1]


def test_unknown_names_raise_attribute_error(lazypkg: str) -> None:
    import importlib

    package = importlib.import_module(lazypkg)
    with pytest.raises(AttributeError, match=r"module 'hw_lazy_demo' has no attribute 'nope'"):
        package.nope  # noqa: B018
    assert not hasattr(package, "also_missing")


def test_dir_lists_own_names_and_exports_sorted(lazypkg: str) -> None:
    import importlib

    package = importlib.import_module(lazypkg)
    names = dir(package)
    assert names == sorted(names)
    assert {"Heavy", "helper", "own", "__all__"} <= set(names)
    assert f"{lazypkg}.heavy" not in sys.modules  # dir() imports nothing
