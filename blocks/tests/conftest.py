"""Fixtures for headwater-blocks' tests.

Every test gets a fresh temporary ``HEADWATER_HOME`` (so a fresh SQLite store
and encryption key) through the core's ``headwater.testing.fixtures`` plugin.
Servers the blocks talk to are real and local: an HTTP server on a thread
(``http_server``), an aiosmtpd SMTP server (``smtp_server``) and PostgreSQL on
127.0.0.1:5432 (``postgres_url``; fails loudly when it is down).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from headwater.testing.fixtures import headwater_home

__all__ = ["headwater_home"]

PG_URL = os.environ.get(
    "HEADWATER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _fresh_home(headwater_home: Path) -> Path:
    """Make the fresh-HEADWATER_HOME fixture apply to every test here."""
    return headwater_home


# -- a local HTTP server ----------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpServer:
    """A real HTTP server on 127.0.0.1 that records every request and answers ``status``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    reply: bytes = b"ok"


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    state = HttpServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(
                Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(state.reply)))
            self.end_headers()
            self.wfile.write(state.reply)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- a local SMTP server ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- PostgreSQL -------------------------------------------------------------------------


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL URL (no password: trust auth); fails loudly when the server is down."""
    import sqlalchemy as sa

    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # fail loudly: CI must not silently skip
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL}: {exc}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.",
            pytrace=False,
        )
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture
def table_name() -> str:
    """A unique table name, so tests never collide on a shared database."""
    return f"hw_blocks_{uuid.uuid4().hex[:12]}"
