"""Secrets printed escaped, or line by line, are masked too (issue 11, item 8).

A PEM key, a service-account JSON file and a password with quotes, a
backslash and non-ASCII letters are registered, then a real flow prints and
logs them every way code usually does (``repr``, ``json.dumps``, inside a dict,
one line at a time, the key taken out of the JSON file) and finally raises
with one. Nothing of them may reach the stored logs or the failure message,
read back with :mod:`headwater.testing.reader`.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from headwater import flow
from headwater.logging import enable_print_capture, get_run_logger, mask_secrets, register_secret
from headwater.masking import MIN_LINE_LENGTH, secret_forms
from headwater.testing.reader import flow_run_logs, flow_run_states

PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7pemLINEone00\n"
    "aGVhZHdhdGVyLXRlc3Qta2V5LXNlY29uZC1saW5lLW9mLXRoZS1rZXktYm9keQ22\n"
    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n"
    "-----END PRIVATE KEY-----\n"
)
SERVICE_ACCOUNT = json.dumps(
    {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "0123456789abcdefprivkeyid",
        "private_key": PEM,
        "client_email": "robot@demo-project.iam.example.com",
    },
    indent=2,
)
QUOTED = "hunter\"2's\\pässwörd-€-xyzzy"

SECRETS = {"pem": PEM, "service_account": SERVICE_ACCOUNT, "quoted": QUOTED}
MARKERS = [
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    "aGVhZHdhdGVyLXRlc3Qta2V5",
    "QUJDREVGR0hJSktM",
    "0123456789abcdefprivkeyid",
    "xyzzy",
    "pässwörd",
    "p\\u00e4ssw",
    "p\\xe4ssw",
]
"""Pieces of the secrets that no stored text may contain, whatever the escaping."""


def _assert_clean(texts: list[str]) -> None:
    for text in texts:
        for marker in MARKERS:
            assert marker not in text, f"{marker!r} leaked in {text!r}"


def _leak_everything(secret: str) -> None:
    logger = get_run_logger()
    print(secret)
    print(repr(secret))
    print(ascii(secret))
    print(json.dumps(secret))
    print(json.dumps(secret, ensure_ascii=False))
    print(json.dumps({"credentials": secret}))
    print({"credentials": secret})
    print([secret])
    print(repr(secret.encode("utf-8")))
    for line in secret.splitlines():
        print(line)
        logger.info("line: %s", line)
    logger.info("value %r", secret)
    logger.info("value %s", json.dumps(secret))
    logger.warning("config %s", {"credentials": secret})


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_every_printed_and_logged_form_is_masked_in_stored_logs(name: str) -> None:
    secret = SECRETS[name]
    register_secret(secret)
    enable_print_capture()  # the engine turns it on once per process; clean_logging turned it off
    seen: list[str] = []

    @flow(log_prints=True)
    def leaky() -> int:
        seen.append(secret)
        _leak_everything(secret)
        if secret.lstrip().startswith("{"):  # the key taken out of the JSON file
            _leak_everything(json.loads(secret)["private_key"])
        return len(secret)

    assert leaky() == len(secret)
    assert seen == [secret]  # the flow worked with the real value
    logs = flow_run_logs()
    assert len(logs) > 12
    assert any("********" in line for line in logs)
    _assert_clean(logs)


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize(
    "make_error",
    [
        lambda s: ValueError(s),
        lambda s: ValueError({"credentials": s}),
        lambda s: RuntimeError(f"bad key {s!r}"),
        lambda s: KeyError(s),
        lambda s: ValueError(json.dumps({"k": s})),
    ],
)
def test_a_secret_raised_in_any_form_is_masked_in_the_failure(name: str, make_error: Any) -> None:
    secret = SECRETS[name]
    register_secret(secret)

    @flow
    def failing() -> None:
        raise make_error(secret)

    state = failing(return_state=True)
    assert state.is_failed()
    messages = [s.message or "" for s in flow_run_states()]
    assert any("********" in m for m in messages)
    _assert_clean(messages)
    _assert_clean(flow_run_logs())  # the logged traceback too


def test_each_line_of_a_multiline_secret_is_masked_alone() -> None:
    register_secret(PEM)
    lines = PEM.splitlines()
    for line in lines:
        assert mask_secrets(f"<{line}>") == "<********>"
    # a part of one line is not a line: only whole registered forms are masked
    assert mask_secrets(lines[1][:20]) == lines[1][:20]


def test_short_and_punctuation_lines_are_not_registered() -> None:
    document = '{\n  "a": 1,\n  "token": "s3cr3t-token-value"\n}\n'
    register_secret(document)
    forms = secret_forms(document)
    assert "{" not in forms
    assert "}" not in forms
    assert '"a": 1,' not in forms  # shorter than MIN_LINE_LENGTH
    assert len('"a": 1,') < MIN_LINE_LENGTH
    assert '"token": "s3cr3t-token-value"' in forms
    assert "s3cr3t-token-value" in forms  # a string of a JSON secret
    assert mask_secrets("{ } a 1") == "{ } a 1"
    register_secret("ab\ncd\n------------\n")
    assert mask_secrets("ab cd ------------") == "ab cd ------------"


def test_escaped_forms_of_a_quoted_non_ascii_secret() -> None:
    register_secret(QUOTED)
    for text in (
        repr(QUOTED),
        ascii(QUOTED),
        json.dumps(QUOTED),
        json.dumps(QUOTED, ensure_ascii=False),
        repr(QUOTED.encode("utf-8")),
        str({"k": QUOTED}),
    ):
        masked = mask_secrets(text)
        assert "xyzzy" not in masked, text
        assert "********" in masked


def test_a_lone_surrogate_secret_is_registered_without_error() -> None:
    register_secret("bad-\udcff-secret")
    assert mask_secrets("x bad-\udcff-secret x") == "x ******** x"


def test_nothing_registered_is_still_free() -> None:
    """The logging hot path: with no secret, mask_secrets returns its argument at once."""
    text = "an ordinary log line " * 10
    assert mask_secrets(text) is text
    start = time.perf_counter()
    for _ in range(100_000):
        mask_secrets(text)
    assert time.perf_counter() - start < 1.0
