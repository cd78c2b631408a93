"""Package-contract checks and install-alone helpers for packages built on Headwater.

Every integration package repeats the same checks in its tests; these
functions do them once, failing with an ``AssertionError`` that says what is
wrong:

- :func:`assert_public_api`: ``__all__`` is sorted, every name resolves, and
  an unknown attribute is an ``AttributeError`` naming it;
- :func:`assert_import_is_light`: ``import <pkg>`` (in a fresh interpreter)
  does not import the named heavy SDKs;
- :func:`assert_entry_points`: the distribution's ``headwater.blocks`` /
  ``headwater.secret_resolvers`` entry points load, and name real block
  classes under their slug (or callables);
- :func:`assert_distribution_layout`: the project folder has a pyproject that
  declares the core as a range (``>=x,<y``, never a pin), ``_version.py``
  matching the installed metadata, CHANGELOG.md, README.md and ``py.typed``.

:func:`fresh_environment` builds a new ``uv`` virtual environment holding only
what it is given (the core and the package) and :func:`run_python` runs a
snippet or script there: the package must work with nothing it does not declare.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

__all__ = [
    "assert_distribution_layout",
    "assert_entry_points",
    "assert_import_is_light",
    "assert_public_api",
    "core_project",
    "fresh_environment",
    "isolated_environ",
    "run_python",
]

_CORE = "headwater"
_VERSION_FILE = re.compile(r'__version__ = "(\d+\.\d+\.\d+[^"]*)"\n')


def assert_public_api(module: ModuleType) -> None:
    """``module.__all__`` is sorted and every name resolves; ``dir()`` is sorted; an
    unknown attribute is an AttributeError naming it."""
    names = list(getattr(module, "__all__", None) or [])
    assert names, f"{module.__name__} has no __all__"
    assert names == sorted(names), f"{module.__name__}.__all__ is not sorted"
    for name in names:
        assert getattr(module, name, None) is not None, f"{module.__name__}.{name} does not resolve"
    assert sorted(dir(module)) == dir(module), f"dir({module.__name__}) is not sorted"
    missing = "no_such_name_in_the_public_api"
    error: AttributeError | None = None
    try:
        getattr(module, missing)
    except AttributeError as exc:
        error = exc
    assert error is not None, f"{module.__name__}.{missing} did not raise AttributeError"
    assert missing in str(error), f"the AttributeError does not name {missing!r}: {error}"


def assert_import_is_light(package: str, heavy: Sequence[str], *, then: str = "") -> None:
    """In a fresh interpreter, ``import package`` imports none of the ``heavy`` modules;
    ``then`` is more code run afterwards in the same process (e.g. naming the blocks,
    with assertions of its own)."""
    code = (
        f"import sys, {package}\n"
        f"heavy = [m for m in {list(heavy)!r} if m in sys.modules]\n"
        f"assert not heavy, f'import {package} imported {{heavy}}'\n"
        f"{then}\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.strip().splitlines()[-1:] or proc.stderr


def assert_entry_points(
    distribution: str, group: str, expected: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The entry points of ``distribution`` in ``group``, loaded (name -> object).

    Each must load. In ``headwater.blocks`` each is a concrete Block class whose
    slug is the entry point's name; in other groups, a callable. ``expected``
    maps names to the class or function names they must load.
    """
    from headwater.blocks import Block

    points = importlib.metadata.distribution(distribution).entry_points.select(group=group)
    loaded = {ep.name: ep.load() for ep in points}
    assert loaded, f"{distribution} declares no {group} entry point"
    for name, target in loaded.items():
        if group == "headwater.blocks":
            assert inspect.isclass(target), f"{group} {name!r} is not a class: {target!r}"
            assert issubclass(target, Block), f"{group} {name!r}: {target!r} is not a Block"
            assert not inspect.isabstract(target), f"{group} {name!r}: {target!r} is abstract"
            slug = target.get_block_type_slug()
            assert slug == name, f"{group} {name!r} loads {target.__name__}, whose slug is {slug!r}"
        else:
            assert callable(target), f"{group} {name!r} is not callable: {target!r}"
    if expected is not None:
        got = {name: getattr(target, "__name__", repr(target)) for name, target in loaded.items()}
        assert got == dict(expected), f"{distribution} {group}: {got} != {dict(expected)}"
    return loaded


def _requirements(pyproject: Mapping[str, object]) -> list[str]:
    project = pyproject.get("project")
    assert isinstance(project, dict), "pyproject.toml has no [project] table"
    deps = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        deps.extend(extra)
    return [str(d) for d in deps]


def assert_distribution_layout(project: Path, distribution: str) -> None:
    """The project folder is a complete distribution: pyproject.toml declaring the core
    as a range (``>=``, ``<``; no ``==`` or ``~=``), CHANGELOG.md, README.md, one import
    package under ``src/`` with ``py.typed`` and a ``_version.py`` matching the
    installed ``distribution``'s version."""
    for required in ("pyproject.toml", "CHANGELOG.md", "README.md"):
        assert (project / required).is_file(), f"{project.name} is missing {required}"
    packages = [p for p in (project / "src").iterdir() if (p / "__init__.py").is_file()]
    assert len(packages) == 1, f"{project.name}: expected one package under src/: {packages}"
    package = packages[0]
    assert (package / "py.typed").is_file(), f"{package.name} is missing py.typed"
    version = _VERSION_FILE.fullmatch((package / "_version.py").read_text())
    assert version, f"{package.name}/_version.py must be exactly '__version__ = \"x.y.z\"'"
    installed = importlib.metadata.version(distribution)
    assert version.group(1) == installed, (
        f"_version.py says {version.group(1)}, metadata {installed}"
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    core = [d for d in _requirements(pyproject) if re.match(rf"{_CORE}\s*[<>=!~;\[]", d)]
    assert core, f"{project.name} does not declare the core ({_CORE}) as a dependency"
    for dep in core:
        assert "==" not in dep, f"{project.name}: {dep!r} is a pin"
        assert "~=" not in dep, f"{project.name}: {dep!r} is a pin"
        assert ">=" in dep, f"{project.name}: {dep!r} must be a range >=x,<y"
        assert "<" in dep, f"{project.name}: {dep!r} must be a range >=x,<y"


def core_project() -> Path:
    """The core's project folder (the one holding its pyproject.toml): where the
    installed core came from when it was installed from a local folder (editable or
    not, as the nox sessions do; PEP 610's ``direct_url.json`` records it), else the
    checkout the imported package sits in; an AssertionError when neither exists."""
    import headwater

    candidates: list[Path] = []
    try:
        raw = importlib.metadata.distribution("headwater").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        raw = None
    if raw:
        url = str(json.loads(raw).get("url", ""))
        if url.startswith("file://"):
            candidates.append(Path(urllib.request.url2pathname(url.removeprefix("file://"))))
    candidates.append(Path(headwater.__file__).resolve().parents[2])
    for folder in candidates:
        if (folder / "pyproject.toml").is_file() and (folder / "src" / "headwater").is_dir():
            return folder
    raise AssertionError(
        "the core is not installed from a local folder or checkout "
        f"(looked in {', '.join(str(c) for c in candidates)})"
    )


def isolated_environ(**extra: str) -> dict[str, str]:
    """This process's environment without ``VIRTUAL_ENV``/``PYTHONPATH``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(extra)
    return env


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run(
        [sys.executable, "-m", "uv", "--version"], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode == 0, "uv is needed to build a fresh environment (pip install uv)"
    return [sys.executable, "-m", "uv"]


def _check(cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float) -> str:
    proc = subprocess.run(
        list(cmd), cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def fresh_environment(where: Path, installs: Sequence[str | Path], *, timeout: float = 300) -> Path:
    """A new virtual environment in ``where/venv`` (same interpreter as this one) with
    only ``installs`` (project folders or requirement strings) and their declared
    dependencies; returns its python."""
    uv = _uv()
    venv = where / "venv"
    env = isolated_environ()
    # Outside any workspace, so uv does not pick one up.
    _check(
        [*uv, "venv", "-q", "--python", sys.executable, str(venv)], cwd=where, env=env, timeout=120
    )
    python = venv / "bin" / "python"
    _check(
        [*uv, "pip", "install", "-q", "--python", str(python), *map(str, installs)],
        cwd=where,
        env=env,
        timeout=timeout,
    )
    return python


def run_python(
    python: Path,
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> str:
    """Run ``python args...`` (``["-c", code]`` or a script and its arguments) and
    return its stdout; an AssertionError with both outputs when it fails."""
    return _check([str(python), *args], cwd=cwd, env=env or isolated_environ(), timeout=timeout)
