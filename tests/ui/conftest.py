"""Browser tests of the UI: a real `headwater server start` process and Debian's
Chromium driven by Playwright.

``ui_server`` runs the server in its own process over a fresh HEADWATER_HOME,
on SQLite and on PostgreSQL (a fresh schema), once per test module and
database. ``page`` is a new Playwright page in a shared headless Chromium.
Flows for a test run in subprocesses with ``ui_server.env``, so they record
into the store the server reads.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = os.environ.get("HEADWATER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
PG_BASE_URL = os.environ.get(
    "HEADWATER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class UiServer:
    url: str
    home: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def run_python(self, code: str, *, timeout: float = 120, **extra_env: str) -> str:
        """Run ``code`` in a fresh interpreter against this server's store; its stdout.

        Fails the test with the process's stderr when it exits non-zero.
        """
        env = {**self.env, **extra_env}
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"subprocess failed ({done.returncode}):\n{done.stderr}", pytrace=False)
        return done.stdout

    def api(self, **kwargs: Any) -> httpx.Client:
        """An httpx client for this server's API (``base_url`` set)."""
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def _pg_schema_url() -> tuple[str, str]:
    import psycopg

    schema = f"hw_ui_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_BASE_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:  # fail loudly: CI must not silently skip
        pytest.fail(f"PostgreSQL is not reachable at {PG_BASE_URL}: {exc}", pytrace=False)
    sep = "&" if "?" in PG_BASE_URL else "?"
    return schema, f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_BASE_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def start_ui_server(home: Path, **extra_env: str) -> UiServer:
    """Start ``headwater server start`` over ``home``; returns once /api/health answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update({"HEADWATER_HOME": str(home), "HEADWATER_PROGRESS": "false", **extra_env})
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli", "server", "start", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.close()
            pytest.fail(
                f"the server exited ({process.returncode}):\n{(home / 'server.log').read_text()}",
                pytrace=False,
            )
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the server did not answer /api/health within 60 s", pytrace=False)
        time.sleep(0.1)
    return UiServer(url=url, home=home, env=env, process=process)


def stop_ui_server(server: UiServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def ui_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UiServer]:
    """A running server over a fresh store, on SQLite and on PostgreSQL."""
    home = tmp_path_factory.mktemp("hw-ui")
    schema = None
    extra: dict[str, str] = {}
    if request.param == "postgres":
        schema, url = _pg_schema_url()
        extra["HEADWATER_DATABASE_URL"] = url
    server = start_ui_server(home, **extra)
    try:
        yield server
    finally:
        stop_ui_server(server)
        if schema is not None:
            _drop_schema(schema)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the session (never a downloaded build)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package "
            "(`apt-get install -y chromium`); the e2e nox session does this itself.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own cookies) with a 1440x900 viewport."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


UI_ADMIN_TOKEN = "hw-ui-admin-5d1f8b3a9c7e2046b1d3f5a7c9e0b2d4"
UI_READ_TOKEN = "hw-ui-read-8a0c2e4f6b1d3a5c7e9f0b2d4a6c8e1f"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def auth_ui_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UiServer]:
    """Like ``ui_server``, with authentication on: the admin token is ``UI_ADMIN_TOKEN``
    and the read-only one ``UI_READ_TOKEN`` (both also in ``.env``)."""
    home = tmp_path_factory.mktemp("hw-ui-auth")
    schema = None
    extra = {
        "HEADWATER_SERVER_ADMIN_TOKEN": UI_ADMIN_TOKEN,
        "HEADWATER_SERVER_READ_TOKEN": UI_READ_TOKEN,
    }
    if request.param == "postgres":
        schema, url = _pg_schema_url()
        extra["HEADWATER_DATABASE_URL"] = url
    server = start_ui_server(home, **extra)
    try:
        yield server
    finally:
        stop_ui_server(server)
        if schema is not None:
            _drop_schema(schema)
