"""Blocks, variables and concurrency limits in a real Chromium against a real
`headwater server start` (SQLite and PostgreSQL): a block created through its generated
form (a union alternative picked in the browser) loads in Python with every value, the
secret included; an edit that leaves the secret alone keeps it; variables and limits
round-trip through their forms."""

from __future__ import annotations

import json
from typing import Any

SMTP_PASSWORD = "smtp-browser-secret-5150"
TOKEN = "tok-browser-secret-8080"


def _load_json(ui_server: Any, code: str) -> Any:
    return json.loads(ui_server.run_python(code).strip().splitlines()[-1])


def _wait(page: Any, fragment: str) -> None:
    """Wait until the page's URL contains ``fragment`` (after a form post's redirect)."""
    page.wait_for_url(lambda url: fragment in url)


def _accept_dialogs(page: Any) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_create_a_block_through_the_form_and_edit_it_keeping_the_secret(
    ui_server: Any, page: Any
) -> None:
    page.goto(ui_server.url + "/blocks")
    page.click("summary:has-text('New block')")
    page.click("a[href='/blocks/new/smtp-email']")
    _wait(page, "/blocks/new/smtp-email")
    assert page.input_value("#f\\.timeout") == "30.0"  # defaults filled in
    page.fill("#block-name", "alerts-mail")
    page.fill("#f\\.smtp_server", "smtp.example.com")
    page.fill("#f\\.smtp_port", "587")
    page.select_option("#f\\.smtp_type", "STARTTLS")
    page.fill("#f\\.username", "robot")
    page.fill("#f\\.password", SMTP_PASSWORD)
    page.fill("#f\\.to_addresses", "ops@example.com\ndata@example.com")
    page.uncheck("#f\\.verify")
    page.fill("#f\\.timeout", "12.5")
    page.click("button[type=submit]:has-text('Create')")
    _wait(page, "/blocks/smtp-email/alerts-mail?")
    assert "Block smtp-email/alerts-mail created." in page.inner_text(".flash")
    assert SMTP_PASSWORD not in page.content()
    assert "********" in page.inner_text("table.block-fields")

    code = (
        "import json\n"
        "from headwater_blocks import SmtpEmail\n"
        "b = SmtpEmail.load('alerts-mail')\n"
        "print(json.dumps({'server': b.smtp_server, 'port': b.smtp_port, 'type': str(b.smtp_type),"
        " 'user': b.username, 'password': b.password.get_secret_value(),"
        " 'to': b.to_addresses, 'verify': b.verify, 'timeout': b.timeout}))"
    )
    assert _load_json(ui_server, code) == {
        "server": "smtp.example.com",
        "port": 587,
        "type": "STARTTLS",
        "user": "robot",
        "password": SMTP_PASSWORD,
        "to": ["ops@example.com", "data@example.com"],
        "verify": False,
        "timeout": 12.5,
    }

    # Edit without touching the secret.
    page.click("a:has-text('Edit')")
    _wait(page, "/blocks/smtp-email/alerts-mail/edit")
    assert SMTP_PASSWORD not in page.content()
    assert page.input_value("#f\\.password") == ""
    assert page.get_attribute("#f\\.password", "placeholder") == "stored - leave blank to keep"
    assert page.input_value("#f\\.smtp_server") == "smtp.example.com"
    page.fill("#f\\.smtp_server", "smtp2.example.com")
    page.click("button[type=submit]:has-text('Save')")
    _wait(page, "/blocks/smtp-email/alerts-mail?")
    assert "saved" in page.inner_text(".flash")
    edited = _load_json(ui_server, code)
    assert edited["server"] == "smtp2.example.com"
    assert edited["password"] == SMTP_PASSWORD
    assert edited["to"] == ["ops@example.com", "data@example.com"]


def test_pick_a_union_alternative_in_the_browser(ui_server: Any, page: Any) -> None:
    page.goto(ui_server.url + "/blocks/new/secret")
    text_input = page.locator("#f\\.value\\@0")
    json_input = page.locator("#f\\.value\\@1")
    assert text_input.is_visible()
    assert not json_input.is_visible()
    assert json_input.is_disabled()
    page.select_option("#u\\.value", label="JSON object")
    assert json_input.is_visible()
    assert json_input.is_enabled()
    assert not text_input.is_visible()
    assert text_input.is_disabled()  # so it is not submitted
    page.fill("#block-name", "api-login")
    json_input.fill(json.dumps({"user": "svc", "token": TOKEN}))
    page.click("button[type=submit]:has-text('Create')")
    _wait(page, "/blocks/secret/api-login?")
    assert TOKEN not in page.content()

    code = (
        "import json\n"
        "from headwater.blocks import Secret\n"
        "print(json.dumps(Secret.load('api-login').get()))"
    )
    assert _load_json(ui_server, code) == {"user": "svc", "token": TOKEN}

    # The edit form shows the JSON alternative with its values masked; saving as shown keeps them.
    page.goto(ui_server.url + "/blocks/secret/api-login/edit")
    assert TOKEN not in page.content()
    assert page.locator("#f\\.value\\@1").is_visible()
    shown = json.loads(page.input_value("#f\\.value\\@1"))
    assert shown == {"user": "********", "token": "********"}
    page.click("button[type=submit]:has-text('Save')")
    _wait(page, "/blocks/secret/api-login?")
    assert _load_json(ui_server, code) == {"user": "svc", "token": TOKEN}

    # Delete (with the confirmation accepted).
    _accept_dialogs(page)
    page.click("button:has-text('Delete')")
    _wait(page, "/blocks?")
    assert "Block secret/api-login deleted." in page.inner_text(".flash")
    assert page.locator("a[href='/blocks/secret/api-login']").count() == 0


def test_variables_round_trip_in_the_browser(ui_server: Any, page: Any) -> None:
    _accept_dialogs(page)
    page.goto(ui_server.url + "/variables")
    page.fill("#var-name", "batch-size")
    page.fill("#var-value", "{oops")
    page.click("#variable-form button[type=submit]")
    assert "not valid JSON" in page.inner_text(".field-error")
    page.fill("#var-value", '{"rows": 500, "mode": "fast"}')
    page.fill("#var-tags", "etl, nightly")
    page.click("#variable-form button[type=submit]")
    _wait(page, "/variables?")
    row = page.locator("tr[data-variable='batch-size']")
    assert '"rows": 500' in row.inner_text()
    code = (
        "import json\n"
        "from headwater.variables import Variable\n"
        "print(json.dumps(Variable.get('batch-size')))"
    )
    assert _load_json(ui_server, code) == {"rows": 500, "mode": "fast"}

    row.locator("a:has-text('Edit')").click()
    _wait(page, "/variables?edit=batch-size")
    page.fill("#var-value", "[1, 2, 3]")
    page.click("#variable-form button[type=submit]")
    _wait(page, "/variables?done=saved")
    assert _load_json(ui_server, code) == [1, 2, 3]

    page.locator("tr[data-variable='batch-size'] button:has-text('Delete')").click()
    _wait(page, "/variables?done=deleted")
    assert page.locator("tr[data-variable='batch-size']").count() == 0
    assert _load_json(ui_server, code) is None


def test_concurrency_limits_round_trip_in_the_browser(ui_server: Any, page: Any) -> None:
    _accept_dialogs(page)
    page.goto(ui_server.url + "/concurrency-limits")
    page.fill("#limit-tag", "warehouse")
    page.fill("#limit-limit", "-2")
    page.click("#limit-form button[type=submit]")
    assert "must be 0 or more" in page.inner_text(".field-error")
    page.fill("#limit-limit", "3")
    page.click("#limit-form button[type=submit]")
    _wait(page, "/concurrency-limits?")
    row = page.locator("tr[data-tag='warehouse']")
    assert row.locator("td.limit").inner_text() == "3"
    code = (
        "from headwater._store import get_store\n"
        "print([(l.tag, l.limit) for l in get_store().read_concurrency_limits()])"
    )
    assert ui_server.run_python(code).strip() == "[('warehouse', 3)]"

    row.locator("a:has-text('Edit')").click()
    page.fill("#limit-limit", "1")
    page.click("#limit-form button[type=submit]")
    _wait(page, "/concurrency-limits?done=saved")
    assert page.locator("tr[data-tag='warehouse'] td.limit").inner_text() == "1"

    page.locator("tr[data-tag='warehouse'] button:has-text('Delete')").click()
    _wait(page, "/concurrency-limits?done=deleted")
    assert page.locator("tr[data-tag='warehouse']").count() == 0
    assert ui_server.run_python(code).strip() == "[]"
