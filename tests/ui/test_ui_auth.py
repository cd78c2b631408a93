"""Logging in to the UI in a real Chromium, with authentication on."""

from __future__ import annotations

from typing import Any


def _tokens(server: Any) -> tuple[str, str]:
    return server.env["HEADWATER_SERVER_ADMIN_TOKEN"], server.env["HEADWATER_SERVER_READ_TOKEN"]


def _log_in(page: Any, server: Any, token: str, path: str = "/") -> None:
    page.goto(server.url + path)
    page.fill("#token", token)
    page.click("button:has-text('Log in')")
    page.wait_for_url(server.url + path)


def _fetch(page: Any, method: str, path: str, body: Any, *, csrf: bool) -> dict[str, Any]:
    """Run fetch() in the page, as the UI's own JavaScript would."""
    return dict(
        page.evaluate(
            """async ([method, path, body, csrf]) => {
                const headers = {"Content-Type": "application/json"};
                if (csrf) headers["X-CSRF-Token"] = headwater.csrfToken();
                const r = await fetch(path, {method, headers, body: JSON.stringify(body)});
                return {status: r.status, body: await r.json()};
            }""",
            [method, path, body, csrf],
        )
    )


def test_a_page_needs_a_login_and_the_right_token_lands_on_it(
    auth_ui_server: Any, page: Any
) -> None:
    admin, _read = _tokens(auth_ui_server)
    page.goto(auth_ui_server.url + "/flow-runs")
    assert page.url == auth_ui_server.url + "/login?next=%2Fflow-runs"
    assert page.title() == "Log in · Headwater"
    page.fill("#token", admin[:-1] + ("0" if admin[-1] != "0" else "1"))
    page.click("button:has-text('Log in')")
    assert page.locator(".flash-error").inner_text() == "That token is not valid for this server."
    assert page.url.startswith(auth_ui_server.url + "/login")
    assert page.input_value("#token") == ""  # the wrong token is not echoed back
    page.fill("#token", admin)
    page.click("button:has-text('Log in')")
    page.wait_for_url(auth_ui_server.url + "/flow-runs")
    assert page.locator("#token").count() == 0
    assert page.locator("button:has-text('Log out')").is_visible()


def test_the_session_cookie_is_http_only_and_not_the_token(auth_ui_server: Any, page: Any) -> None:
    admin, _read = _tokens(auth_ui_server)
    _log_in(page, auth_ui_server, admin)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["headwater_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["path"] == "/"
    assert admin not in session["value"]
    assert cookies["headwater_csrf"]["httpOnly"] is True
    # page scripts cannot read either cookie
    assert "headwater_session" not in page.evaluate("document.cookie")
    assert "headwater_csrf" not in page.evaluate("document.cookie")


def test_logout(auth_ui_server: Any, page: Any) -> None:
    admin, _read = _tokens(auth_ui_server)
    _log_in(page, auth_ui_server, admin)
    page.click("button:has-text('Log out')")
    page.wait_for_url(auth_ui_server.url + "/login")
    assert "headwater_session" not in {c["name"] for c in page.context.cookies()}
    # a live refresh after the session ended gets a 401, not the login page as a fragment
    assert page.evaluate("fetch('/flow-runs/rows').then(r => r.status)") == 401
    page.goto(auth_ui_server.url + "/")
    assert page.url == auth_ui_server.url + "/login?next=%2F"


def test_read_only_login_can_look_but_not_write(auth_ui_server: Any, page: Any) -> None:
    admin, read = _tokens(auth_ui_server)
    _log_in(page, auth_ui_server, read, "/variables")
    refused = _fetch(page, "PUT", "/api/variables/ui-auth-read", {"value": 1}, csrf=True)
    assert refused == {
        "status": 403,
        "body": {"detail": "this needs the admin role; the token used is read-only"},
    }
    page.click("button:has-text('Log out')")
    page.wait_for_url(auth_ui_server.url + "/login")
    _log_in(page, auth_ui_server, admin, "/variables")
    # a write authenticated by the session cookie needs the CSRF header
    no_csrf = _fetch(page, "PUT", "/api/variables/ui-auth-admin", {"value": 1}, csrf=False)
    assert no_csrf["status"] == 403
    assert no_csrf["body"]["detail"].startswith("CSRF token missing or wrong")
    done = _fetch(page, "PUT", "/api/variables/ui-auth-admin", {"value": 1}, csrf=True)
    assert done["status"] == 200
    with auth_ui_server.api(headers={"Authorization": f"Bearer {read}"}) as api:
        assert api.get("/api/variables/ui-auth-admin").json()["value"] == 1
        assert api.get("/api/variables/ui-auth-read").status_code == 404


def test_another_sites_form_cannot_drive_the_server(auth_ui_server: Any, page: Any) -> None:
    """A page on another origin posts a form to /logout: refused, still logged in."""
    admin, _read = _tokens(auth_ui_server)
    _log_in(page, auth_ui_server, admin)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "headwater_csrf")
    attacker = (
        "<!doctype html><html><body>"
        f'<form id="f" method="post" action="{auth_ui_server.url}/logout">'
        f'<input type="hidden" name="csrf_token" value="{csrf}"></form>'
        "<script>document.getElementById('f').submit()</script></body></html>"
    )
    page.route(
        "http://attacker.example/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=attacker),
    )
    with page.expect_response(auth_ui_server.url + "/logout") as answer:
        page.goto("http://attacker.example/page")
    assert answer.value.status == 403
    assert "cross-origin request refused" in answer.value.text()
    page.goto(auth_ui_server.url + "/")
    assert page.url == auth_ui_server.url + "/"
    assert page.locator("button:has-text('Log out')").is_visible()


def test_a_link_from_another_site_opens_the_page_when_logged_in(
    auth_ui_server: Any, page: Any
) -> None:
    """The session cookie is SameSite=Strict, so a link from another site (chat, e-mail)
    does not carry it; the page reloads itself from this site instead of asking to log in."""
    admin, _read = _tokens(auth_ui_server)
    _log_in(page, auth_ui_server, admin)
    link = (
        "<!doctype html><html><body>"
        f'<a id="go" href="{auth_ui_server.url}/flow-runs">the failed run</a></body></html>'
    )
    page.route(
        "http://chat.example/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=link),
    )
    page.goto("http://chat.example/message")
    page.click("#go")
    page.wait_for_selector("button:has-text('Log out')")  # after the reload, logged in
    assert page.url == auth_ui_server.url + "/flow-runs"
