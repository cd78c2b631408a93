"""Formatting helpers and the running-run duration shown by tables."""

from __future__ import annotations

import os
import re
import socket
import time
import uuid

import pytest
from cli_support import Seeder
from typer.testing import CliRunner

from headwater._state_filters import parse_states
from headwater._store import FlowRunRecord, StateRecord
from headwater.cli import app
from headwater.cli._format import format_duration, short_id


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0.0042, "4ms"),
        (0.85, "850ms"),
        (4.2, "4.20s"),
        (125.9, "2m 05s"),
        (3780, "1h 03m"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_short_id() -> None:
    assert short_id("0123456789abcdef") == "01234567"
    assert short_id(None) == "-"


def test_parse_states_splits_types_and_names_in_any_spelling() -> None:
    states = parse_states(["failed", "timed_out", "Cached", "FAILED", "awaiting-retry"])
    assert states.types == ("FAILED",)
    assert states.names == ("TimedOut", "Cached", "AwaitingRetry")
    assert states
    assert not parse_states(None)


def test_running_run_shows_time_so_far(runner: CliRunner, seed: Seeder) -> None:
    now = time.time()
    run = FlowRunRecord(
        id=uuid.uuid4().hex,
        flow_name="etl",
        name="busy-beaver",
        created=now - 6,
        pid=os.getpid(),
        hostname=socket.gethostname(),
        heartbeat=now,
    )
    seed.store.create_flow_run(run)
    state = StateRecord(
        id=uuid.uuid4().hex,
        run_id=run.id,
        run_kind="flow",
        type="RUNNING",
        name="Running",
        timestamp=now - 5,
    )
    seed.store.set_state("flow", run.id, state, start_time=now - 5, run_count=1)
    seed.store.flush()
    result = runner.invoke(app, ["flow-run", "ls"])
    assert result.exit_code == 0, result.output
    assert "Running" in result.stdout
    assert re.search(r"\d+\.\d\ds\+", result.stdout), result.stdout
