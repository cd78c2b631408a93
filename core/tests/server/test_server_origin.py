"""The server's origin defences, against real uvicorn servers on 127.0.0.1.

- DNS rebinding: raw requests with forged ``Host`` headers (and their siblings:
  suffixes, userinfo, missing Host, IPv6, case) get 400 before any route runs;
- a token-less server refuses to listen on a non-loopback address unless the unsafe
  setting allows it (and then warns), and refuses foreign CORS origins;
- every response forbids framing; ``/api/docs`` loads nothing from another host.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from headwater import _store
from headwater.cli import app as cli_app
from headwater.errors import ConfigurationError
from headwater.server import check_start, create_app
from headwater.server._frame import merge_frame_ancestors
from headwater.server._hosts import split_host
from headwater.settings import Settings, get_settings, reset_settings

ADMIN_TOKEN = "hw-admin-origin-3c9a1e5b2d4f60a8c1e3b5d7f9a2c4"

# Every kind of target: API reads and writes, a secret read, the UI, static files, docs.
TARGETS = [
    ("GET", "/api/flow_runs"),
    ("GET", "/api/variables"),
    ("GET", "/api/blocks?include_secrets=true"),
    ("POST", "/api/ingest"),
    ("GET", "/"),
    ("GET", "/static/headwater.css"),
    ("GET", "/api/docs"),
    ("GET", "/api/docs/static/swagger-ui-bundle.js"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/health"),
]

FORGED_HOSTS = [
    "evil.example",
    "evil.example:{port}",
    "127.0.0.1.evil.example",
    "127.0.0.1.evil.example:{port}",
    "localhost.evil.example",
    "localhost:1@evil",
    "localhost:{port}@evil.example",
    "user@localhost",
    "localhost:evil",
    "localhost:{port}/x",
    "EVIL.EXAMPLE",
    "[::1].evil.example",
    "[::2]",
    "[::1]evil",
    "::1",
    "127.0.0.2",
    "0.0.0.0",
    "",
    "localhost,evil.example",
    "localhost evil.example",
]

GOOD_HOSTS = [
    "localhost",
    "localhost:{port}",
    "LOCALHOST:{port}",
    "127.0.0.1",
    "127.0.0.1:{port}",
    "[::1]",
    "[::1]:{port}",
    "[0:0:0:0:0:0:0:1]:{port}",
]


def _set_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(f"HEADWATER_{name}", value)
    reset_settings()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _raw(port: int, request: bytes) -> bytes:
    """Send ``request`` as is over a new TCP connection; the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("host", FORGED_HOSTS)
def test_a_forged_host_gets_400_on_every_route(server_url: str, host: str) -> None:
    port = _port(server_url)
    with httpx.Client(base_url=server_url, timeout=30) as http:
        for method, path in TARGETS:
            response = http.request(method, path, headers={"Host": host.format(port=port)}, json={})
            assert response.status_code == 400, (host, method, path, response.text[:200])
            assert "Host" in response.text


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_loopback_hosts_are_served(server_url: str, host: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as http:
        response = http.get("/api/flow_runs", headers={"Host": host.format(port=_port(server_url))})
    assert response.status_code == 200, (host, response.text[:200])


def test_dns_rebinding_cannot_read_secrets_or_plant_runs(server_url: str) -> None:
    """The attack: a page at evil.example re-resolved to 127.0.0.1 reads secrets and
    plants a flow run; with its own name in Host every request is refused, nothing stored."""
    port = _port(server_url)
    evil = {"Host": f"rebind.evil.example:{port}", "Origin": f"http://rebind.evil.example:{port}"}
    with httpx.Client(base_url=server_url, timeout=30) as http:
        secrets = http.get("/api/blocks?include_secrets=true", headers=evil)
        assert secrets.status_code == 400
        planted = http.post("/api/variables", json={"name": "planted", "value": 1}, headers=evil)
        assert planted.status_code == 400
    assert [v.name for v in _store.get_store().read_variables()] == []


def test_missing_or_duplicated_host_is_refused_on_raw_requests(server_url: str) -> None:
    port = _port(server_url)
    # HTTP/1.0 may omit Host; the server refuses it all the same
    assert _status(_raw(port, b"GET /api/flow_runs HTTP/1.0\r\n\r\n")) == 400
    assert _status(_raw(port, b"GET / HTTP/1.0\r\n\r\n")) == 400
    # HTTP/1.1 without Host, and with two Host headers
    assert _status(_raw(port, b"GET /api/flow_runs HTTP/1.1\r\nConnection: close\r\n\r\n")) == 400
    both = (
        b"GET /api/flow_runs HTTP/1.1\r\nHost: evil.example\r\nHost: localhost\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert _status(_raw(port, both)) == 400
    ok = f"GET /api/flow_runs HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    assert _status(_raw(port, ok.encode())) == 200


def test_allowed_hosts_setting_adds_names(server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_env(monkeypatch, SERVER_ALLOWED_HOSTS="Headwater.internal, ops.example:8443, [fd00::5]")
    with httpx.Client(base_url=server_url, timeout=30) as http:
        assert (
            http.get("/api/health", headers={"Host": "headwater.internal:4200"}).status_code == 200
        )
        assert http.get("/api/health", headers={"Host": "OPS.example"}).status_code == 200
        assert http.get("/api/health", headers={"Host": "[fd00::5]:1"}).status_code == 200
        refused = http.get("/api/health", headers={"Host": "headwater.internal.evil.example"})
        assert refused.status_code == 400


def test_split_host() -> None:
    assert split_host("LocalHost:80") == "localhost"
    assert split_host("[::1]:4200") == "::1"
    for bad in ("a:b:c", "[::1", "[nope]", "x@y", "a/b", "a:", "[::1]:x", ""):
        assert split_host(bad) is None, bad


# --- start-up refusals (items 1 and 12) ---------------------------------------------


def test_start_refuses_a_non_loopback_address_without_tokens() -> None:
    result = CliRunner().invoke(cli_app, ["server", "start", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 1
    assert "HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH" in result.output
    assert "HEADWATER_SERVER_ADMIN_TOKEN" in result.output
    for host in ("192.168.1.10", "::", "myhost.example"):
        with pytest.raises(ConfigurationError, match="without authentication"):
            check_start(host, reset_and_read())
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.5"):
        assert check_start(host, reset_and_read()) == []


def reset_and_read() -> Settings:
    reset_settings()
    return get_settings()


def test_start_allows_a_remote_address_with_tokens_or_the_unsafe_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set_env(monkeypatch, SERVER_ADMIN_TOKEN=ADMIN_TOKEN)
    assert check_start("0.0.0.0", reset_and_read()) == []
    monkeypatch.delenv("HEADWATER_SERVER_ADMIN_TOKEN")
    _set_env(monkeypatch, SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH="true")
    (warning,) = check_start("0.0.0.0", reset_and_read())
    assert "without authentication" in warning


@pytest.mark.parametrize(
    "origins", ["*", "https://app.example", "http://localhost:3000,http://evil.example", "null"]
)
def test_foreign_cors_origins_without_tokens_are_refused(
    monkeypatch: pytest.MonkeyPatch, origins: str
) -> None:
    _set_env(monkeypatch, SERVER_CORS_ORIGINS=origins)
    with pytest.raises(ConfigurationError, match="HEADWATER_SERVER_CORS_ORIGINS"):
        create_app()
    result = CliRunner().invoke(cli_app, ["server", "start", "--port", "1"])
    assert result.exit_code == 1
    assert "HEADWATER_SERVER_CORS_ORIGINS" in result.output
    assert "HEADWATER_SERVER_ADMIN_TOKEN" in result.output


def test_loopback_cors_origins_need_no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_env(monkeypatch, SERVER_CORS_ORIGINS="http://localhost:3000,http://127.0.0.1:8080")
    create_app()
    assert check_start("127.0.0.1", reset_and_read()) == []


def test_foreign_cors_origins_with_tokens_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_env(monkeypatch, SERVER_CORS_ORIGINS="*", SERVER_ADMIN_TOKEN=ADMIN_TOKEN)
    create_app()
    (warning,) = check_start("127.0.0.1", reset_and_read())
    assert "HEADWATER_SERVER_CORS_ORIGINS" in warning
    assert "*" in warning


def test_a_running_server_fails_closed_when_cors_becomes_foreign(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings are read per request: wildcard CORS set after start, without tokens, is a
    500 naming the setting, never an ``Access-Control-Allow-Origin: *``."""
    _set_env(monkeypatch, SERVER_CORS_ORIGINS="*")
    with httpx.Client(base_url=server_url, timeout=30) as http:
        response = http.get("/api/variables", headers={"Origin": "https://evil.example"})
    assert response.status_code == 500
    assert "HEADWATER_SERVER_CORS_ORIGINS" in response.json()["detail"]
    assert "access-control-allow-origin" not in response.headers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_start_on_all_interfaces_when_unsafely_allowed(tmp_path: Path) -> None:
    """The real command: it warns on stderr, listens on 0.0.0.0, and still refuses a
    forged Host while serving its own address."""
    port = _free_port()
    env = {
        **os.environ,
        "HEADWATER_HOME": str(tmp_path / "home"),
        "HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH": "true",
    }
    env.pop("HEADWATER_DATABASE_URL", None)
    env.pop("HEADWATER_SERVER_ADMIN_TOKEN", None)
    env.pop("HEADWATER_SERVER_CORS_ORIGINS", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "headwater.cli",
            "server",
            "start",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert health.status_code == 200
        forged = httpx.get(
            f"http://127.0.0.1:{port}/api/variables", headers={"Host": "evil.example"}, timeout=5
        )
        assert forged.status_code == 400
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "WARNING: listening on '0.0.0.0' without authentication" in stderr.decode()


# --- item 17: framing and the docs page ----------------------------------------------


@pytest.mark.parametrize("path", ["/", "/flow-runs", "/api/docs", "/api/flow_runs", "/login"])
def test_every_page_forbids_framing(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 400
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_frame_ancestors_is_merged_into_an_existing_policy() -> None:
    assert merge_frame_ancestors(None) == "frame-ancestors 'none'"
    merged = merge_frame_ancestors("default-src 'self'; frame-ancestors *; img-src data:")
    assert merged == "default-src 'self'; img-src data:; frame-ancestors 'none'"


def test_api_docs_load_nothing_from_another_host(client: httpx.Client) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    for url in urls:
        assert url.startswith("/api/"), url
        assert client.get(url).status_code == 200, url
    assert "//" not in "".join(re.findall(r"""(?:src|href)=["']([^"']+)""", page.text))
    assert "cdn" not in page.text.lower()
