"""Authentication, roles, CORS and CSRF, against a real uvicorn server.

The session server (``server_url``/``client``) reads settings on every request, so a
test turns authentication on by setting ``HEADWATER_SERVER_*`` and resetting the
settings cache. Routes that no other part of the server has yet (an API write route,
a secret read) are exercised on ``extra_url``: the real app plus a few test routes
that use the same dependencies, served by uvicorn too.

Constant time: tokens are compared with :func:`hmac.compare_digest` over SHA-256
digests (``headwater.server._auth.role_for_token``), which is constant time by
construction; what a test can show is that equal-length wrong tokens are refused.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from starlette.routing import Mount

from headwater.errors import ConfigurationError
from headwater.server import create_app
from headwater.server._auth import (
    SESSION_SECONDS,
    auth_config,
    make_session,
    role_for_session,
    role_for_token,
)
from headwater.server._security import (
    log_secret_read,
    require_admin,
    require_csrf,
    safe_next,
)
from headwater.settings import reset_settings

ADMIN_TOKEN = "hw-admin-7f3c9a1e5b2d4f60a8c1e3b5d7f9a2c4"
READ_TOKEN = "hw-read-0e2f4a6c8e1b3d5f7a9c2e4b6d8f1a3c5e"
ADMIN_DETAIL = "this needs the admin role; the token used is read-only"
CSRF_DETAIL = "CSRF token missing or wrong - reload the page"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
OPEN_WRITES = {"/login", "/logout"}  # a read-only user may log in and out


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _session(value: str) -> dict[str, str]:
    return {"Cookie": f"headwater_session={value}"}


def _set_env(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(f"HEADWATER_{name}", raising=False)
        else:
            monkeypatch.setenv(f"HEADWATER_{name}", value)
    reset_settings()


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Authentication on, with an admin and a read-only token."""
    _set_env(monkeypatch, SERVER_ADMIN_TOKEN=ADMIN_TOKEN, SERVER_READ_TOKEN=READ_TOKEN)


def _flat_routes(routes: list[Any]) -> Iterator[Any]:
    """Every route of the app, whether FastAPI keeps included routers flat or nested."""
    for route in routes:
        nested = getattr(route, "effective_route_contexts", None)
        if callable(nested):
            yield from nested()
        else:
            yield route


def _dependency_names(route: Any) -> set[str]:
    names: set[str] = set()
    stack = [route.dependant] if getattr(route, "dependant", None) is not None else []
    while stack:
        dependant = stack.pop()
        for sub in dependant.dependencies:
            names.add(getattr(sub.call, "__name__", repr(sub.call)))
            stack.append(sub)
    return names


def _concrete(path: str) -> str:
    """A route path with dummy values for its parameters."""
    return re.sub(r"\{[^}]+\}", "hw-dummy-0001", path)


def _method_routes() -> list[tuple[str, str, Any]]:
    """(method, concrete path, route) for every HTTP route of a fresh app."""
    out = []
    for route in _flat_routes(create_app().routes):
        for method in sorted(getattr(route, "methods", None) or ()):
            out.append((method, _concrete(route.path), route))
    return out


# --- every route needs a token ---------------------------------------------------------


def test_every_route_needs_a_token_except_health_login_and_static(
    tokens: None, client: httpx.Client
) -> None:
    routes = _method_routes()
    assert len(routes) > 20  # the API and the UI are really there
    for method, path, _route in routes:
        response = client.request(method, path, follow_redirects=False)
        where = f"{method} {path}"
        if path == "/api/health":
            assert response.status_code == 200, where
        elif path == "/login":
            # open; a POST without a CSRF token is refused, but not for want of a token
            assert response.status_code in (200, 403), where
            assert "location" not in response.headers, where
        elif path.startswith("/api/"):
            assert response.status_code == 401, where
            assert response.headers["www-authenticate"] == "Bearer", where
            if method != "HEAD":
                assert "Authorization: Bearer" in response.json()["detail"], where
        else:
            assert response.status_code == 303, where
            assert response.headers["location"] == f"/login?next={quote(path, safe='')}", where
    mounts = [r for r in _flat_routes(create_app().routes) if isinstance(r, Mount)]
    assert [m.path for m in mounts] == ["/static", "/api/docs/static"]
    assert client.get("/api/docs/static/swagger-ui.css").status_code == 401
    assert client.get("/static/headwater.css").status_code == 200
    assert client.post("/static/headwater.css", follow_redirects=False).status_code == 303


def test_every_route_answers_the_admin_and_read_tokens(tokens: None, client: httpx.Client) -> None:
    for method, path, _route in _method_routes():
        if method not in {"GET", "HEAD"}:
            continue
        for token in (ADMIN_TOKEN, READ_TOKEN):
            response = client.request(method, path, headers=_bearer(token))
            assert response.status_code not in (401, 403), f"{method} {path}"
            assert response.status_code < 500, f"{method} {path}: {response.text[:300]}"


@pytest.mark.parametrize(
    "path", ["/api/health/", "/api/health/x", "/api/healthz", "/api/Health", "/api//health"]
)
def test_only_exactly_api_health_is_open(tokens: None, client: httpx.Client, path: str) -> None:
    assert client.get("/api/health").json()["status"] == "ok"
    assert client.get(path, follow_redirects=False).status_code == 401


def test_every_write_route_needs_admin_and_every_ui_write_needs_csrf() -> None:
    writes = [
        (method, route.path, _dependency_names(route))
        for route in _flat_routes(create_app().routes)
        for method in getattr(route, "methods", None) or ()
        if method in UNSAFE
    ]
    assert any(path == "/login" for _, path, _ in writes)
    for method, path, names in writes:
        if path not in OPEN_WRITES:
            assert "require_admin" in names, f"{method} {path} does not need the admin role"
        if not path.startswith("/api/"):
            assert "require_csrf" in names, f"{method} {path} (a UI form) is not CSRF-protected"


# --- tokens and roles -------------------------------------------------------------------


WRONG_TOKENS = [
    ADMIN_TOKEN[:-1] + ("0" if ADMIN_TOKEN[-1] != "0" else "1"),  # same length, last char
    "x" + ADMIN_TOKEN[1:],  # same length, first char
    READ_TOKEN[:-1] + ("0" if READ_TOKEN[-1] != "0" else "1"),
    ADMIN_TOKEN[:-1],  # a prefix
    ADMIN_TOKEN + "0",  # longer
    ADMIN_TOKEN.upper(),
    READ_TOKEN + ADMIN_TOKEN,
    "x",
]


@pytest.mark.parametrize("token", WRONG_TOKENS)
def test_wrong_tokens_are_refused(tokens: None, client: httpx.Client, token: str) -> None:
    assert len(WRONG_TOKENS[0]) == len(ADMIN_TOKEN)
    response = client.get("/api/flow_runs", headers=_bearer(token))
    assert response.status_code == 401
    assert response.json() == {"detail": "the token is not valid for this server"}
    assert response.headers["www-authenticate"] == "Bearer"
    assert token not in response.text
    assert ADMIN_TOKEN not in response.text
    # a wrong token is not rescued by a valid session cookie either
    assert client.get("/", headers=_bearer(token), follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "header", ["Basic " + ADMIN_TOKEN, "Token " + ADMIN_TOKEN, ADMIN_TOKEN, "Bearer", "Bearer:x"]
)
def test_other_authorization_schemes_are_refused(
    tokens: None, client: httpx.Client, header: str
) -> None:
    response = client.get("/api/flow_runs", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"] == "the Authorization header must be 'Bearer <token>'"


def test_the_right_tokens_are_accepted(tokens: None, client: httpx.Client) -> None:
    for token in (ADMIN_TOKEN, READ_TOKEN):
        assert client.get("/api/flow_runs", headers=_bearer(token)).status_code == 200
    # the scheme is case-insensitive (RFC 9110); extra spaces do not matter
    ok = client.get("/api/flow_runs", headers={"Authorization": f"bearer  {ADMIN_TOKEN}"})
    assert ok.status_code == 200


def test_role_for_token_compares_both_tokens(tokens: None) -> None:
    config = auth_config()
    assert role_for_token(config, ADMIN_TOKEN) == "admin"
    assert role_for_token(config, READ_TOKEN) == "read"
    for wrong in WRONG_TOKENS:
        assert role_for_token(config, wrong) is None


def test_a_read_only_admin_token_setting_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, client: httpx.Client
) -> None:
    _set_env(monkeypatch, SERVER_READ_TOKEN=READ_TOKEN)
    with pytest.raises(ConfigurationError) as info:
        create_app()
    message = str(info.value)
    assert "HEADWATER_SERVER_ADMIN_TOKEN" in message
    assert "HEADWATER_SERVER_READ_TOKEN" in message
    assert READ_TOKEN not in message
    # a running server whose settings became wrong fails closed, naming the variable
    for path in ("/api/flow_runs", "/api/health", "/"):
        response = client.get(path, headers=_bearer(READ_TOKEN), follow_redirects=False)
        assert response.status_code == 500
        assert "HEADWATER_SERVER_ADMIN_TOKEN" in response.json()["detail"]
        assert READ_TOKEN not in response.text


def test_equal_admin_and_read_tokens_are_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set_env(monkeypatch, SERVER_ADMIN_TOKEN=ADMIN_TOKEN, SERVER_READ_TOKEN=ADMIN_TOKEN)
    with pytest.raises(ConfigurationError, match="must differ from HEADWATER_SERVER_ADMIN"):
        create_app()


def test_server_start_refuses_a_read_token_without_an_admin_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from headwater.cli import app

    _set_env(monkeypatch, SERVER_READ_TOKEN=READ_TOKEN)
    result = CliRunner().invoke(app, ["server", "start", "--port", "1"])
    assert result.exit_code == 1
    assert "HEADWATER_SERVER_READ_TOKEN is set but HEADWATER_SERVER_ADMIN_TOKEN" in result.output
    assert READ_TOKEN not in result.output


def test_auth_off_by_default(client: httpx.Client) -> None:
    assert client.get("/api/flow_runs").status_code == 200
    assert client.get("/", follow_redirects=False).status_code == 200
    page = client.get("/login")
    assert "Authentication is off" in page.text


# --- the test app: the real app plus routes that use the same dependencies --------------


SAVED: list[str] = []


def _extra_app() -> FastAPI:
    app = create_app()

    @app.post("/api/test-security/things", dependencies=[Depends(require_admin)])
    async def add_thing(request: Request) -> dict[str, int]:
        SAVED.append(str((await request.json())["name"]))
        return {"count": len(SAVED)}

    @app.post("/test-security/things", dependencies=[Depends(require_admin), Depends(require_csrf)])
    def add_thing_form(name: str = Form()) -> RedirectResponse:
        SAVED.append(name)
        return RedirectResponse("/", status_code=303)

    @app.get("/api/test-security/secrets/{slug}/{name}")
    async def read_secret(
        request: Request, slug: str, name: str, include_secrets: bool = False
    ) -> dict[str, str]:
        if not include_secrets:
            return {"value": "********"}
        await require_admin(request)
        log_secret_read(request, f"{slug}/{name}")
        return {"value": "the-secret-value"}

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def extra_url() -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(_extra_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="headwater-security-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the test server stopped"
        assert time.monotonic() < deadline, "the test server did not start within 30 s"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def extra(extra_url: str) -> Iterator[httpx.Client]:
    SAVED.clear()
    with httpx.Client(base_url=extra_url, timeout=30) as http:
        yield http


def test_read_token_may_not_write_admin_may(tokens: None, extra: httpx.Client) -> None:
    path = "/api/test-security/things"
    refused = extra.post(path, json={"name": "a"}, headers=_bearer(READ_TOKEN))
    assert refused.status_code == 403
    assert refused.json() == {"detail": ADMIN_DETAIL}
    assert SAVED == []
    assert extra.post(path, json={"name": "a"}).status_code == 401
    assert SAVED == []
    done = extra.post(path, json={"name": "a"}, headers=_bearer(ADMIN_TOKEN))
    assert done.status_code == 200
    assert SAVED == ["a"]


def test_read_token_may_not_use_real_write_routes(tokens: None, client: httpx.Client) -> None:
    """Every write route the server has now (API and UI): 403 for the read token."""
    client.get("/login")  # sets the CSRF cookie, so UI forms fail on the role, not on CSRF
    csrf = {"X-CSRF-Token": client.cookies["headwater_csrf"]}
    checked = 0
    for method, path, _route in _method_routes():
        if method not in UNSAFE or path in OPEN_WRITES:
            continue
        refused = client.request(method, path, headers={**_bearer(READ_TOKEN), **csrf})
        assert refused.status_code == 403, f"{method} {path}"
        assert refused.json() == {"detail": ADMIN_DETAIL}, f"{method} {path}"
        allowed = client.request(method, path, headers={**_bearer(ADMIN_TOKEN), **csrf})
        assert allowed.status_code not in (401, 403), f"{method} {path}: {allowed.text[:200]}"
        checked += 1
    assert checked >= 1  # the UI's Retry and Cancel at least


def test_include_secrets_needs_admin_and_each_read_is_logged(
    tokens: None, extra: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    audit = logging.getLogger("headwater.server.audit")
    audit.addHandler(caplog.handler)  # the headwater logger may not propagate to the root
    caplog.set_level(logging.WARNING)
    try:
        path = "/api/test-security/secrets/aws-credentials/prod"
        masked = extra.get(path, headers=_bearer(READ_TOKEN))
        assert masked.json() == {"value": "********"}
        refused = extra.get(path, params={"include_secrets": "true"}, headers=_bearer(READ_TOKEN))
        assert refused.status_code == 403
        assert refused.json() == {"detail": ADMIN_DETAIL}
        assert [r for r in caplog.records if r.name == audit.name] == []
        read = extra.get(path, params={"include_secrets": "true"}, headers=_bearer(ADMIN_TOKEN))
        assert read.json() == {"value": "the-secret-value"}
    finally:
        audit.removeHandler(caplog.handler)
    # one record (seen twice when the headwater logger also propagates to the root)
    records = list({id(r): r for r in caplog.records if r.name == audit.name}.values())
    assert len(records) == 1
    message = records[0].getMessage()
    assert records[0].levelno == logging.WARNING
    assert "'aws-credentials/prod'" in message
    assert "role admin" in message
    assert "bearer" in message
    assert "127.0.0.1:" in message
    assert "the-secret-value" not in message
    assert ADMIN_TOKEN not in message


def test_include_secrets_on_the_block_documents_route(
    store_url: str, tokens: None, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """The real route: masked for the read token, 403 with include_secrets; the admin
    reads the value and the read is logged (the address, never the value)."""
    from headwater.blocks import Secret

    Secret(value="s3cr3t-value-42").save("prod")
    path = "/api/block_documents/secret/prod"
    audit = logging.getLogger("headwater.server.audit")
    audit.addHandler(caplog.handler)
    caplog.set_level(logging.WARNING)
    try:
        masked = client.get(path, headers=_bearer(READ_TOKEN))
        assert masked.status_code == 200
        assert "s3cr3t-value-42" not in masked.text
        refused = client.get(path, params={"include_secrets": "true"}, headers=_bearer(READ_TOKEN))
        assert refused.status_code == 403
        assert refused.json() == {"detail": ADMIN_DETAIL}
        listing = client.get(
            "/api/block_documents", params={"include_secrets": "true"}, headers=_bearer(READ_TOKEN)
        )
        assert listing.status_code == 403
        assert not [r for r in caplog.records if r.name == audit.name]
        read = client.get(path, params={"include_secrets": "true"}, headers=_bearer(ADMIN_TOKEN))
        assert read.status_code == 200
        assert "s3cr3t-value-42" in read.text
    finally:
        audit.removeHandler(caplog.handler)
    records = list({id(r): r for r in caplog.records if r.name == audit.name}.values())
    assert len(records) == 1
    message = records[0].getMessage()
    assert "'secret/prod'" in message
    assert "role admin" in message
    assert "s3cr3t-value-42" not in message
    assert ADMIN_TOKEN not in message


# --- the browser session ------------------------------------------------------------------


def _login(http: httpx.Client, token: str, next_path: str = "/") -> httpx.Response:
    http.get("/login")
    return http.post(
        "/login",
        data={"token": token, "next": next_path, "csrf_token": http.cookies["headwater_csrf"]},
        follow_redirects=False,
    )


def _cookie_attributes(response: httpx.Response, name: str) -> tuple[str, set[str]]:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            value, *attributes = (part.strip() for part in header.split(";"))
            return value.split("=", 1)[1], {a.lower() for a in attributes}
    raise AssertionError(f"no {name} cookie set: {response.headers.get_list('set-cookie')}")


def test_login_sets_a_session_cookie_that_is_not_the_token(
    tokens: None, client: httpx.Client
) -> None:
    page = client.get("/", follow_redirects=False)
    assert page.headers["location"] == "/login?next=%2F"
    response = _login(client, ADMIN_TOKEN, "/flow-runs?state=FAILED")
    assert response.status_code == 303
    assert response.headers["location"] == "/flow-runs?state=FAILED"
    value, attributes = _cookie_attributes(response, "headwater_session")
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert f"max-age={SESSION_SECONDS}" in attributes
    hint, hint_attributes = _cookie_attributes(response, "headwater_signed_in")
    assert hint == "1"
    assert {"httponly", "samesite=lax", "path=/"} <= hint_attributes
    assert "secure" not in attributes  # plain http here; https below
    assert ADMIN_TOKEN not in value
    role, expiry, mac = value.split(".")
    assert role == "admin"
    assert re.fullmatch(r"[0-9a-f]{64}", mac)
    assert 0 < int(expiry) - time.time() <= SESSION_SECONDS
    # the cookie alone now opens the UI and the API
    assert client.get("/", follow_redirects=False).status_code == 200
    assert client.get("/api/flow_runs").status_code == 200


def test_wrong_token_on_the_login_form(tokens: None, client: httpx.Client) -> None:
    response = _login(client, ADMIN_TOKEN[:-1] + "0")
    assert response.status_code == 401
    assert "That token is not valid for this server." in response.text
    assert ADMIN_TOKEN[:-1] not in response.text
    assert "headwater_session" not in client.cookies
    assert "headwater_signed_in" not in client.cookies
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_forgets_the_session(tokens: None, client: httpx.Client) -> None:
    _login(client, READ_TOKEN)
    assert client.get("/", follow_redirects=False).status_code == 200
    assert "Log out" in client.get("/").text
    out = client.post(
        "/logout", data={"csrf_token": client.cookies["headwater_csrf"]}, follow_redirects=False
    )
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert "headwater_session" not in client.cookies
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_link_from_another_site_reloads_from_this_site(
    tokens: None, client: httpx.Client
) -> None:
    """The SameSite=Strict session cookie is held back on a link from another site; the
    Lax hint cookie says a reload from this site will carry it."""
    cross = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    target = '/flow-runs?flow_name="><script>x</script>'  # sent percent-encoded
    hinted = client.get(
        target, headers={**cross, "Cookie": "headwater_signed_in=1"}, follow_redirects=False
    )
    assert hinted.status_code == 200
    assert hinted.headers["cache-control"] == "no-store"
    assert hinted.text.endswith(
        '<meta http-equiv="refresh" content="0;url=/flow-runs?flow_name=%22%3E%3Cscript%3Ex%3C/script%3E">'
    )
    # without the hint, or from this site (the reload itself), it is the login page
    assert client.get(target, headers=cross, follow_redirects=False).status_code == 303
    same = {"Sec-Fetch-Site": "same-origin", "Cookie": "headwater_signed_in=1"}
    assert client.get(target, headers=same, follow_redirects=False).status_code == 303


def test_a_pages_own_fetch_gets_a_401_not_the_login_page(
    tokens: None, client: httpx.Client
) -> None:
    """Live refresh fetch()es UI fragments: after the session ends it must not be handed
    the login page's HTML as if it were the fragment."""
    fetched = client.get("/flow-runs", headers={"Sec-Fetch-Mode": "same-origin"})
    assert fetched.status_code == 401
    assert fetched.headers["www-authenticate"] == "Bearer"
    navigation = client.get(
        "/flow-runs", headers={"Sec-Fetch-Mode": "navigate"}, follow_redirects=False
    )
    assert navigation.status_code == 303


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example", "/\\evil.example", "/\t/evil.example", "x"],
)
def test_login_never_redirects_off_the_server(
    tokens: None, client: httpx.Client, target: str
) -> None:
    assert safe_next(target) == "/"
    assert _login(client, ADMIN_TOKEN, target).headers["location"] == "/"


def test_forged_expired_and_rotated_sessions_are_refused(
    tokens: None, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = auth_config()
    read_session = make_session(config, "read")
    _role, expiry, mac = read_session.split(".")
    expired = make_session(config, "admin", now=time.time() - SESSION_SECONDS - 1)
    forged = [
        f"admin.{expiry}.{mac}",  # the role changed
        f"read.{int(expiry) + 3600}.{mac}",  # the expiry changed
        expired,
        f"read.{expiry}.{'0' * 64}",
        ADMIN_TOKEN,  # the token itself is not a session
        "",
    ]
    for value in forged:
        assert role_for_session(config, value) is None, value
        response = client.get("/", headers=_session(value), follow_redirects=False)
        assert response.status_code == 303, value
        api = client.get("/api/flow_runs", headers=_session(value))
        assert api.status_code == 401, value
    good = client.get("/", headers=_session(read_session), follow_redirects=False)
    assert good.status_code == 200
    # rotating the read token ends the sessions made with the old one
    _set_env(monkeypatch, SERVER_READ_TOKEN=READ_TOKEN + "-rotated")
    again = client.get("/", headers=_session(read_session), follow_redirects=False)
    assert again.status_code == 303


def test_api_writes_with_the_session_cookie_need_the_csrf_header(
    tokens: None, extra: httpx.Client
) -> None:
    assert _login(extra, ADMIN_TOKEN).status_code == 303
    path = "/api/test-security/things"
    refused = extra.post(path, json={"name": "x"})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(CSRF_DETAIL)
    wrong = extra.post(path, json={"name": "x"}, headers={"X-CSRF-Token": "w" * 43})
    assert wrong.status_code == 403
    assert SAVED == []
    csrf = extra.cookies["headwater_csrf"]
    assert extra.post(path, json={"name": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert SAVED == ["x"]
    # reads need no CSRF token, and Bearer clients never do
    assert extra.get("/api/flow_runs").status_code == 200
    extra.cookies.clear()
    bearer = extra.post(path, json={"name": "y"}, headers=_bearer(ADMIN_TOKEN))
    assert bearer.status_code == 200
    assert SAVED == ["x", "y"]


def test_session_cookies_are_secure_behind_a_tls_proxy(tokens: None, client: httpx.Client) -> None:
    """A proxy that ends TLS says so with X-Forwarded-Proto (uvicorn trusts it from
    127.0.0.1): the cookies are then Secure."""
    https = {"X-Forwarded-Proto": "https"}
    page = client.get("/login", headers=https)
    csrf, csrf_attributes = _cookie_attributes(page, "headwater_csrf")
    assert "secure" in csrf_attributes
    response = client.post(  # httpx keeps Secure cookies off http://: send it by hand
        "/login",
        data={"token": ADMIN_TOKEN, "csrf_token": csrf},
        headers={**https, "Cookie": f"headwater_csrf={csrf}"},
        follow_redirects=False,
    )
    _value, attributes = _cookie_attributes(response, "headwater_session")
    assert {"secure", "httponly", "samesite=strict"} <= attributes


# --- CSRF -------------------------------------------------------------------------------------


def test_the_csrf_cookie_matches_the_forms(client: httpx.Client) -> None:
    page = client.get("/login")
    token, attributes = _cookie_attributes(page, "headwater_csrf")
    assert {"path=/", "samesite=strict", "httponly"} <= attributes
    assert f'<meta name="csrf-token" content="{token}">' in page.text
    again = client.get("/")
    assert "set-cookie" not in again.headers  # the browser already has it
    assert f'content="{token}"' in again.text


@pytest.mark.parametrize("auth_on", [False, True])
def test_form_posts_need_the_csrf_token(
    auth_on: bool, extra: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    if auth_on:
        _set_env(monkeypatch, SERVER_ADMIN_TOKEN=ADMIN_TOKEN)
        assert _login(extra, ADMIN_TOKEN).status_code == 303
    else:
        extra.get("/")
    csrf = extra.cookies["headwater_csrf"]
    path = "/test-security/things"
    missing = extra.post(path, data={"name": "a"}, follow_redirects=False)
    assert missing.status_code == 403
    assert missing.json() == {"detail": CSRF_DETAIL}
    wrong = extra.post(path, data={"name": "a", "csrf_token": csrf[:-1] + "x"})
    assert wrong.status_code == 403
    assert SAVED == []
    ok = extra.post(path, data={"name": "a", "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303
    assert SAVED == ["a"]
    # a header works as well as the form field (fetch() from the UI's pages)
    ok = extra.post(path, data={"name": "b"}, headers={"X-CSRF-Token": csrf})
    assert SAVED == ["a", "b"]


def test_a_real_ui_form_needs_the_csrf_token(store_url: str, client: httpx.Client) -> None:
    """The variables form, auth off: refused requests leave no variable behind."""
    client.get("/variables")
    csrf = client.cookies["headwater_csrf"]
    form = {"name": "csrf_check", "value": "42", "tags": ""}
    assert client.post("/variables", data=form).status_code == 403
    wrong = client.post("/variables", data={**form, "csrf_token": "w" * len(csrf)})
    assert wrong.status_code == 403
    cross = client.post(
        "/variables",
        data={**form, "csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert client.get("/api/variables/csrf_check").status_code == 404
    done = client.post("/variables", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/api/variables/csrf_check").json()["value"] == 42


def test_the_login_form_needs_the_csrf_token(tokens: None, client: httpx.Client) -> None:
    response = client.post(
        "/login", data={"token": ADMIN_TOKEN, "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert response.json() == {"detail": CSRF_DETAIL}
    assert "headwater_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("auth_on", [False, True])
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:1"])
def test_cross_origin_writes_are_refused(
    auth_on: bool, origin: str, extra: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    if auth_on:
        _set_env(monkeypatch, SERVER_ADMIN_TOKEN=ADMIN_TOKEN)
    extra.get("/login")
    csrf = extra.cookies["headwater_csrf"]
    form = extra.post(
        "/test-security/things",
        data={"name": "a", "csrf_token": csrf},
        headers={"Origin": origin, **_bearer(ADMIN_TOKEN)},
    )
    assert form.status_code == 403
    assert "cross-origin request refused" in form.json()["detail"]
    api = extra.post(
        "/api/test-security/things",
        json={"name": "b"},
        headers={"Origin": origin, **_bearer(ADMIN_TOKEN)},
    )
    assert api.status_code == 403
    assert SAVED == []
    same = extra.post(
        "/test-security/things",
        data={"name": "c", "csrf_token": csrf},
        headers={"Origin": str(extra.base_url).rstrip("/"), **_bearer(ADMIN_TOKEN)},
        follow_redirects=False,
    )
    assert same.status_code == 303
    assert SAVED == ["c"]


# --- CORS -------------------------------------------------------------------------------------


def _preflight(http: httpx.Client, origin: str, method: str = "POST") -> httpx.Response:
    return http.options(
        "/api/flow_runs",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, x-csrf-token",
        },
    )


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def test_cors_is_same_origin_by_default(client: httpx.Client) -> None:
    preflight = _preflight(client, "https://app.example")
    assert preflight.status_code == 403
    assert "HEADWATER_SERVER_CORS_ORIGINS" in preflight.json()["detail"]
    assert _cors_headers(preflight) == {}
    simple = client.get("/api/flow_runs", headers={"Origin": "https://app.example"})
    assert simple.status_code == 200
    assert _cors_headers(simple) == {}


def test_cors_allows_exactly_the_configured_origins(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_env(
        monkeypatch,
        SERVER_CORS_ORIGINS="https://app.example, https://two.example",
        SERVER_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    # a preflight carries no credentials, so it needs no token
    ok = _preflight(client, "https://app.example", "DELETE")
    assert ok.status_code == 200
    headers = _cors_headers(ok)
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert set(headers["access-control-allow-methods"].split(", ")) == {
        "GET",
        "POST",
        "PUT",
        "DELETE",
    }
    allowed_headers = {h.lower() for h in headers["access-control-allow-headers"].split(", ")}
    assert {"authorization", "content-type", "x-csrf-token"} <= allowed_headers
    assert "access-control-allow-credentials" not in headers
    assert _preflight(client, "https://two.example").status_code == 200
    other = _preflight(client, "https://evil.example")
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    assert _preflight(client, "https://app.example", "PATCH").status_code == 400
    # actual requests: the allowed origin gets the header (on a 401 too, so it can read it)
    denied = client.get("/api/flow_runs", headers={"Origin": "https://app.example"})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == "https://app.example"
    read = client.get(
        "/api/flow_runs", headers={"Origin": "https://app.example", **_bearer(ADMIN_TOKEN)}
    )
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == "https://app.example"
    evil = client.get(
        "/api/flow_runs", headers={"Origin": "https://evil.example", **_bearer(ADMIN_TOKEN)}
    )
    assert "access-control-allow-origin" not in evil.headers


def test_cors_allowed_origins_may_write(
    extra: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_env(monkeypatch, SERVER_CORS_ORIGINS="https://app.example", SERVER_ADMIN_TOKEN=ADMIN_TOKEN)
    response = extra.post(
        "/api/test-security/things",
        json={"name": "a"},
        headers={"Origin": "https://app.example", **_bearer(ADMIN_TOKEN)},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    refused = extra.post(
        "/api/test-security/things",
        json={"name": "b"},
        headers={"Origin": "https://x.example", **_bearer(ADMIN_TOKEN)},
    )
    assert refused.status_code == 403
    assert SAVED == ["a"]


def test_cors_wildcard_sends_no_credentials(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_env(monkeypatch, SERVER_CORS_ORIGINS="*", SERVER_ADMIN_TOKEN=ADMIN_TOKEN)
    response = _preflight(client, "https://anything.example")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_websockets_are_guarded_too(tokens: None) -> None:
    """No route uses a WebSocket yet (and no WebSocket library is installed for uvicorn),
    so the middleware is driven directly: a new WebSocket route would be guarded."""
    import asyncio

    from headwater.server._security import SecurityMiddleware

    def connect(headers: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
        reached: list[str] = []
        sent: list[dict[str, Any]] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            reached.append(scope["state"]["headwater_role"])

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {
            "type": "websocket",
            "scheme": "ws",
            "path": "/ws",
            "query_string": b"",
            "server": ("127.0.0.1", 4200),
            "headers": [(b"host", b"127.0.0.1:4200")]
            + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
        asyncio.run(SecurityMiddleware(app)(scope, receive, send))
        return sent, reached

    closed = [{"type": "websocket.close", "code": 1008}]
    assert connect({}) == (closed, [])
    assert connect(_bearer(ADMIN_TOKEN[:-1] + "0")) == (closed, [])
    assert connect({**_bearer(READ_TOKEN), "Origin": "https://evil.example"}) == (closed, [])
    assert connect(_bearer(READ_TOKEN)) == ([], ["read"])
    assert connect({**_bearer(ADMIN_TOKEN), "Origin": "http://127.0.0.1:4200"}) == ([], ["admin"])
