"""Where a flow lives, so ``flow-run retry`` can import it again.

Entrypoints are ``module:qualname`` for functions in importable modules and
``/abs/path/script.py:qualname`` for scripts run as ``__main__``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from typing import Any

from headwater.errors import ConfigurationError

__all__ = ["entrypoint_of", "load_entrypoint"]


def entrypoint_of(fn: Any) -> str | None:
    """The entrypoint of ``fn``, or ``None`` when it has no findable home."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname:
        return None
    if module == "__main__":
        try:
            path = inspect.getsourcefile(fn)
        except TypeError:
            return None
        if not path:
            return None
        return f"{os.path.abspath(path)}:{qualname}"
    return f"{module}:{qualname}"


def load_entrypoint(entrypoint: str) -> Any:
    """The object an entrypoint names (importing its module or script).

    Raises :class:`ConfigurationError` naming the entrypoint when it cannot be loaded.
    """
    where, sep, qualname = entrypoint.rpartition(":")
    if not sep or not where or not qualname:
        raise ConfigurationError(
            f"entrypoint {entrypoint!r} is not 'module:name' or 'path.py:name'"
        )
    if "<locals>" in qualname:
        raise ConfigurationError(
            f"entrypoint {entrypoint!r} names a flow defined inside a function; "
            "only flows defined at module level can be loaded again"
        )
    try:
        if where.endswith(".py") or os.sep in where:
            if not os.path.exists(where):
                raise ConfigurationError(
                    f"entrypoint {entrypoint!r}: the file {where} does not exist"
                )
            name = f"__headwater_entrypoint_{abs(hash(where)):x}"
            module = sys.modules.get(name)
            if module is None:
                spec = importlib.util.spec_from_file_location(name, where)
                if spec is None or spec.loader is None:
                    raise ConfigurationError(f"entrypoint {entrypoint!r}: cannot load {where}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(name, None)
                    raise
        else:
            module = importlib.import_module(where)
    except ConfigurationError:
        raise
    except Exception as exc:
        raise ConfigurationError(
            f"entrypoint {entrypoint!r} could not be imported: {type(exc).__name__}: {exc}"
        ) from exc
    obj: Any = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigurationError(
                f"entrypoint {entrypoint!r}: {where} has no attribute {qualname!r}"
            ) from None
    return obj
