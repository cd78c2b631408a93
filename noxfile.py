"""Every automated session of the Headwater monorepo.

Packages are discovered, not listed: ``core/``, ``blocks/`` and every folder
under ``integrations/`` with a ``pyproject.toml`` get a ``tests-<name>``
session that installs only the core (and blocks where the package uses it),
the package itself and its ``test`` extra, then runs its ``tests/``. A bare
``nox`` runs lint, typecheck and every test session.

Versions are locked: ``uv.lock`` (the uv workspace's lock, committed) pins every
package the sessions install, the tools included, and each session installs with
it as constraints, so a fresh clone tests what the last green run tested. After a
change to any ``pyproject.toml``, run ``uv lock`` (``lint`` fails on a stale lock).
``lowest-<package>`` sessions test the declared floors instead, and ``latest`` the
newest releases; run ``latest`` on purpose (it is not part of a bare ``nox``), then
``uv lock --upgrade`` once it is green.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


def _discover() -> dict[str, Path]:
    packages = {"core": ROOT / "core", "blocks": ROOT / "blocks"}
    integrations = ROOT / "integrations"
    if integrations.is_dir():
        for folder in sorted(integrations.iterdir()):
            if (folder / "pyproject.toml").is_file():
                packages[folder.name] = folder
    return packages


PACKAGES = _discover()
LOCK = ROOT / "uv.lock"
_CONSTRAINTS = ROOT / ".nox" / "constraints.txt"
SRC_DIRS = [str(p / "src") for p in PACKAGES.values()]


def _depends_on_blocks(folder: Path) -> bool:
    meta = tomllib.loads((folder / "pyproject.toml").read_text())
    deps = meta.get("project", {}).get("dependencies", [])
    return any(d.replace(" ", "").startswith("headwater-blocks") for d in deps)


def _has_extra(folder: Path, extra: str) -> bool:
    meta = tomllib.loads((folder / "pyproject.toml").read_text())
    return extra in meta.get("project", {}).get("optional-dependencies", {})


def _ensure_postgres(session: nox.Session) -> None:
    """Start the machine's PostgreSQL if it is not answering; tests then fail loudly if it is still down."""
    if shutil.which("pg_isready") is None:
        session.warn(
            "pg_isready not found: PostgreSQL tests will fail unless a server is on 127.0.0.1:5432"
        )
        return
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
        return
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions and shutil.which("pg_ctlcluster"):
        session.log(f"starting PostgreSQL {versions[-1]}")
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False,
        )
        for _ in range(30):
            if (
                subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode
                == 0
            ):
                return
            subprocess.run(["sleep", "1"])
    session.warn("PostgreSQL is not answering on 127.0.0.1:5432: its tests will fail")


def _constraints(session: nox.Session) -> str:
    """``uv.lock`` exported as a pip constraints file (rewritten when the lock changes)."""
    if not _CONSTRAINTS.exists() or _CONSTRAINTS.stat().st_mtime < LOCK.stat().st_mtime:
        _CONSTRAINTS.parent.mkdir(parents=True, exist_ok=True)
        session.run_install(
            "uv",
            "export",
            "--frozen",
            "--all-packages",
            "--all-extras",
            "--all-groups",
            "--no-hashes",
            "--no-emit-workspace",
            "--no-header",
            "--no-annotate",
            "--quiet",
            "-o",
            str(_CONSTRAINTS),
            external=True,
            silent=True,
        )
    return str(_CONSTRAINTS)


def _install(session: nox.Session, *targets: str) -> None:
    """Install ``targets`` at the versions locked in ``uv.lock``."""
    session.install("-c", _constraints(session), *targets)


def _group(name: str) -> list[str]:
    """The requirements of a dependency group of the workspace's root pyproject."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(meta["dependency-groups"][name])


def _parallel(folder: Path) -> list[str]:
    """``-n auto`` for a package whose test extra has pytest-xdist: its tests mostly wait
    (on moto, PostgreSQL, subprocesses), so a worker per core shortens the session."""
    meta = tomllib.loads((folder / "pyproject.toml").read_text())
    extra = meta.get("project", {}).get("optional-dependencies", {}).get("test", [])
    return ["-n", "auto"] if any(d.startswith("pytest-xdist") for d in extra) else []


def _pytest_args(session: nox.Session, path: Path) -> list[str]:
    return ["pytest", str(path), *_parallel(path.parent), *session.posargs]


def _make_test_session(name: str, folder: Path) -> None:
    @nox.session(name=f"tests-{name}", python=PYTHON)
    def _tests(session: nox.Session) -> None:
        _ensure_postgres(session)
        targets = []
        if name != "core":
            targets.append(str(ROOT / "core"))
            if name != "blocks" and _depends_on_blocks(folder):
                targets.append(str(ROOT / "blocks"))
        targets.append(f"{folder}[test]")
        _install(session, *targets)
        session.run(*_pytest_args(session, folder / "tests"), env={"HEADWATER_TEST_PACKAGE": name})

    _tests.__doc__ = (
        f"Run {folder.relative_to(ROOT)}/tests with only that package, the core and its "
        "test extras, at the locked versions."
    )


def _make_lowest_session(name: str, folder: Path) -> None:
    @nox.session(name=f"lowest-{name}", python=PYTHON)
    def _lowest(session: nox.Session) -> None:
        _ensure_postgres(session)
        targets = [] if name == "core" else [str(ROOT / "core")]
        if name not in ("core", "blocks") and _depends_on_blocks(folder):
            targets.append(str(ROOT / "blocks"))
        targets.append(f"{folder}[test]")
        # Every direct dependency at the lowest version the pyproject allows: floors are real.
        session.install("--resolution", "lowest-direct", *targets)
        session.run(*_pytest_args(session, folder / "tests"), env={"HEADWATER_TEST_PACKAGE": name})

    _lowest.__doc__ = f"Run {folder.relative_to(ROOT)}/tests with the lowest declared versions of its dependencies."


for _name, _folder in PACKAGES.items():
    _make_test_session(_name, _folder)
    _make_lowest_session(_name, _folder)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over every package, tests, benchmarks and the noxfile."""
    _install(session, *_group("lint"))
    # A pyproject changed without `uv lock`: the sessions would test versions nobody locked.
    session.run("uv", "lock", "--check", external=True)
    paths = [*(str(p) for p in PACKAGES.values()), "tests", "benchmarks", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package's src/ (config in the root pyproject.toml)."""
    # pytest too: headwater.testing ships pytest fixtures, and their decorators need its types
    # and each package's `typing` extra (boto3-stubs...), so vendor clients are checked too
    _install(
        session,
        *_group("typecheck"),
        *(f"{p}[typing]" if _has_extra(p, "typing") else str(p) for p in PACKAGES.values()),
    )
    session.run("mypy", *SRC_DIRS)


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's Chromium for the browser tests when it is missing (never a download
    from a browser CDN); the tests fail loudly if it is still not there."""
    if os.path.exists("/usr/bin/chromium"):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        session.warn("Chromium is missing and cannot be installed here: the UI tests will fail")
        return
    session.log("installing Debian's chromium for the UI tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium"],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
    )


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """Repo-wide tests in tests/: flows composing packages, the UI in Chromium, the packaging
    contract, reliability."""
    _ensure_postgres(session)
    _ensure_chromium(session)
    _install(session, *(f"{p}[test]" for p in PACKAGES.values()))
    session.run(*_pytest_args(session, ROOT / "tests"))


@nox.session(python=PYTHON)
def latest(session: nox.Session) -> None:
    """Every package's tests and the repo-wide tests at the newest releases of everything
    (no lock). Run it on purpose, not on every CI run: it tells whether ``uv lock
    --upgrade`` is safe, and which new release broke what."""
    _ensure_postgres(session)
    _ensure_chromium(session)
    session.install("--upgrade", *(f"{p}[test]" for p in PACKAGES.values()))
    for name, folder in PACKAGES.items():
        session.run(*_pytest_args(session, folder / "tests"), env={"HEADWATER_TEST_PACKAGE": name})
    session.run(*_pytest_args(session, ROOT / "tests"))


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly (warnings are errors)."""
    _install(session, *_group("docs"), str(ROOT / "core"))
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(ROOT / "docs" / "mkdocs.yml"),
        "--site-dir",
        str(ROOT / "site"),
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: Headwater, Prefect 3, raw Python and concurrent.futures side by side,
    then ingest over HTTP into a server on SQLite (``benchmarks/ingest.py``, also
    runnable alone).

    Prefect goes into its own virtual environment so it never meets Headwater's
    dependencies. Pass ``-- --quick`` for a short run, ``-- --write`` to update
    docs/pages/benchmarks.md.
    """
    _install(session, str(ROOT / "core"))
    prefect_env = ROOT / ".nox" / "bench-prefect"
    if not (prefect_env / "bin" / "python").exists():
        session.run("uv", "venv", "-q", "-p", PYTHON, str(prefect_env), external=True)
    session.run(
        "uv",
        "pip",
        "install",
        "-q",
        "-p",
        str(prefect_env / "bin" / "python"),
        "prefect>=3.4,<4",
        external=True,
    )
    session.run(
        "python",
        str(ROOT / "benchmarks" / "run.py"),
        "--prefect-python",
        str(prefect_env / "bin" / "python"),
        *session.posargs,
    )


@nox.session(name="bench-aws", python=PYTHON)
def bench_aws(session: nox.Session) -> None:
    """S3 transfers through headwater-aws' S3Bucket against raw boto3 on a local moto server
    (``benchmarks/aws_s3.py``, also runnable alone). Pass ``-- --quick`` for a short run."""
    _install(session, str(ROOT / "core"), f"{ROOT / 'integrations' / 'aws'}[test]")
    session.run("python", str(ROOT / "benchmarks" / "aws_s3.py"), *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Run the demo flows on the embedded default store (the core demo, then an S3 flow on a
    local moto server through headwater-aws blocks), show what was recorded, then serve the
    UI over it at http://127.0.0.1:4200 until Ctrl-C (``-- --no-serve`` to skip that)."""
    _install(session, str(ROOT / "core"), f"{ROOT / 'integrations' / 'aws'}[test]")
    home = Path(os.environ.get("HEADWATER_HOME", ROOT / ".nox" / "demo-home"))
    env = {"HEADWATER_HOME": str(home)}
    session.run("python", str(ROOT / "docs" / "examples" / "demo.py"), env=env)
    session.run("python", str(ROOT / "docs" / "examples" / "aws_demo.py"), env=env)
    session.run("headwater", "flow-run", "ls", "--limit", "5", env=env)
    session.run("headwater", "block", "ls", env=env)
    if "--no-serve" in session.posargs:
        return
    port = os.environ.get("HEADWATER_DEMO_PORT", "4200")
    session.log(f"the UI: open http://127.0.0.1:{port} (Ctrl-C to stop)")
    session.run("headwater", "server", "start", "--port", port, env=env)


nox.options.sessions = [
    "lint",
    "typecheck",
    *(f"tests-{n}" for n in PACKAGES),
    *(f"lowest-{n}" for n in PACKAGES),
    "e2e",
    "docs",
]
