"""Secret masking in console logs, stored logs and captured prints."""

from __future__ import annotations

import time
from typing import Any

import pytest

from headwater._store import get_store
from headwater._store.records import FlowRunRecord
from headwater.logging import (
    enable_print_capture,
    get_run_logger,
    mask_secrets,
    register_secret,
    run_logger,
    setup_logging,
)


def test_mask_secrets_replaces_registered_values() -> None:
    assert mask_secrets("password is hunter2!") == "password is hunter2!"
    register_secret("hunter2")
    register_secret("hunter2-extended")
    assert mask_secrets("password is hunter2!") == "password is ********!"
    assert mask_secrets("long hunter2-extended value") == "long ******** value"
    assert mask_secrets("a.b*c") == "a.b*c"


def test_regex_characters_in_secrets_are_literal() -> None:
    register_secret("a.b*c+")
    assert mask_secrets("x a.b*c+ y axbbbc+") == "x ******** y axbbbc+"


def test_tiny_values_are_not_registered() -> None:
    register_secret("")
    register_secret("ab")
    assert mask_secrets("abc ab") == "abc ab"


def test_console_and_tracebacks_are_masked(
    contexts: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    register_secret("s3cr3t-token")
    setup_logging()
    logger = run_logger(contexts.task())
    logger.info("token=%s", "s3cr3t-token")
    try:
        raise RuntimeError("auth failed for s3cr3t-token")
    except RuntimeError:
        logger.exception("boom")
    err = capsys.readouterr().err
    assert "s3cr3t-token" not in err
    assert "token=********" in err
    assert "RuntimeError: auth failed for ********" in err


def test_stored_logs_are_masked(contexts: Any, capsys: pytest.CaptureFixture[str]) -> None:
    store = get_store()
    store.create_flow_run(
        FlowRunRecord(id="flow-run-1", flow_name="f", name="n", created=time.time())
    )
    register_secret("pa55word-xyz")
    setup_logging()
    with contexts.in_flow(contexts.flow()):
        get_run_logger().info("connecting with pa55word-xyz")
    store.flush(timeout=30)
    assert [r.message for r in store.read_logs(flow_run_id="flow-run-1")] == [
        "connecting with ********"
    ]


def test_captured_prints_are_masked(contexts: Any, capsys: pytest.CaptureFixture[str]) -> None:
    register_secret("print-secret")
    setup_logging()
    enable_print_capture()
    with contexts.in_task(contexts.task(log_prints=True)):
        print("value:", "print-secret")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "print-secret" not in captured.err
    assert "value: ********" in captured.err
