"""``lazy_exports``: a package ``__init__`` whose names are imported on first use.

A package that re-exports names from heavy modules (an SDK client, pydantic
models) lists them and where they live; ``import package`` then stays cheap and
each module is imported the first time one of its names is used::

    from typing import TYPE_CHECKING

    from headwater.lazy import lazy_exports

    if TYPE_CHECKING:  # what mypy and IDEs see
        from mypkg.client import Client

    __all__ = ["Client"]

    __getattr__, __dir__ = lazy_exports(__name__, {"Client": "mypkg.client"})

Keep the static ``__all__`` and the ``TYPE_CHECKING`` imports: type checkers
do not run ``__getattr__``. A name, once imported, is stored in the package so
later lookups do not go through ``__getattr__`` again.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package_name: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of package ``package_name``,
    importing ``exports[name]`` (a module's full name) when ``name`` is first used.

    An unknown name raises ``AttributeError`` as a plain module would.
    ``__dir__`` lists the package's own names and every export, sorted.
    """
    table = dict(exports)

    def __getattr__(name: str) -> Any:
        module_name = table.get(name)
        if module_name is None:
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name), name)
        setattr(sys.modules[package_name], name, value)
        return value

    def __dir__() -> list[str]:
        package = sys.modules[package_name]
        return sorted(set(vars(package)) | set(table) | set(getattr(package, "__all__", ())))

    return __getattr__, __dir__
