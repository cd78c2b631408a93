"""The runs pages in a real Chromium: a new run appears in the list without a reload, a
flow run's timeline and graph are drawn, the log level filter and the live tail work,
and Cancel stops a running run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

FLOWS = '''
import sys
import time
from pathlib import Path

from headwater import flow, get_run_logger, task


@task
def fetch(i: int) -> int:
    return i


@task
def combine(a: int, b: int) -> int:
    return a + b


@flow
def diamond(label: str) -> int:
    """Five task runs: two fetches, two combines of both, one final combine."""
    log = get_run_logger()
    log.info("info line of %s", label)
    log.warning("warning line of %s", label)
    a = fetch.submit(1)
    b = fetch.submit(2)
    c = combine.submit(a, b)
    d = combine.submit(b, a)
    return combine.submit(c, d).result()


@flow
def tail(label: str, gate: str) -> None:
    """Logs, waits until the test opens the gate, logs again."""
    log = get_run_logger()
    log.info("before the gate of %s", label)
    deadline = time.monotonic() + 60
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    log.warning("after the gate of %s", label)


@flow
def sleepy(label: str) -> None:
    """Runs until cancelled (at most 60 s), sleeping in short steps."""
    get_run_logger().info("sleeping %s", label)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)


@flow
def flaky(label: str, marker: str) -> str:
    """Fails the first time (leaving ``marker``), completes when retried."""
    if not Path(marker).exists():
        Path(marker).write_text("failed once")
        raise RuntimeError("first attempt fails")
    return "ok"


@flow
def chatty(label: str, lines: str) -> None:
    """Logs ``lines`` numbered lines."""
    log = get_run_logger()
    for i in range(int(lines)):
        log.info("line %04d of %s", i, label)


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    flows = {"diamond": diamond, "tail": tail, "sleepy": sleepy, "flaky": flaky, "chatty": chatty}
    flows[name](*args, return_state=True)
'''


def _script(ui_server: Any) -> Path:
    path = Path(ui_server.home) / "ui_runs_flows.py"
    if not path.exists():
        path.write_text(textwrap.dedent(FLOWS))
    return path


def _start(ui_server: Any, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(_script(ui_server)), *args],
        env=ui_server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _run_id(ui_server: Any, label: str, *, state: str | None = None, timeout: float = 60) -> str:
    """The id of the flow run whose parameters carry ``label`` (optionally once in ``state``)."""
    deadline = time.monotonic() + timeout
    with ui_server.api() as api:
        while True:
            for run in api.get("/api/flow_runs", params={"limit": 200}).json():
                if run["parameters"].get("label") == label and (
                    state is None or run["state_type"] == state
                ):
                    return str(run["id"])
            assert time.monotonic() < deadline, f"no flow run labelled {label!r} ({state})"
            time.sleep(0.1)


def test_a_new_run_appears_in_the_list_without_reloading(ui_server: Any, page: Any) -> None:
    page.goto(ui_server.url + "/flow-runs")
    page.evaluate("window.__notReloaded = true")
    label = f"appear-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, str(_script(ui_server)), "diamond", label],
        env=ui_server.env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run_id = _run_id(ui_server, label)
    page.locator(f'#run-rows tr[data-run-id="{run_id}"]').wait_for(timeout=15_000)
    assert page.evaluate("window.__notReloaded") is True
    row = page.locator(f'#run-rows tr[data-run-id="{run_id}"]')
    assert "diamond" in row.inner_text()
    assert row.locator(".badge").inner_text() == "Completed"


def test_a_flow_run_draws_its_timeline_graph_and_filters_logs(ui_server: Any, page: Any) -> None:
    label = f"charts-{uuid.uuid4().hex[:8]}"
    ui_server.run_python(
        f"import runpy, sys; sys.argv = ['x', 'diamond', {label!r}]; "
        f"runpy.run_path({str(_script(ui_server))!r}, run_name='__main__')"
    )
    run_id = _run_id(ui_server, label)
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    assert page.locator("svg.timeline g.row").count() == 5
    assert page.locator("svg.timeline rect.bar").count() == 5
    assert page.locator("svg.graph g.node").count() == 5
    assert page.locator("svg.graph path.edge").count() == 6
    # the bars have a real size and a state colour
    box = page.locator("svg.timeline rect.bar").first.bounding_box()
    assert box is not None
    assert box["width"] >= 1
    assert box["height"] > 5
    fill = page.eval_on_selector("svg.graph g.node rect", "el => getComputedStyle(el).fill")
    assert fill == "rgb(46, 158, 91)"  # --COMPLETED

    logs = page.locator("#logs")
    assert logs.get_by_text(f"info line of {label}").count() == 1
    page.select_option("#log-level", "30")
    logs.get_by_text(f"info line of {label}").wait_for(state="detached")
    logs.get_by_text(f"warning line of {label}").wait_for()
    levels = set(page.locator("#logs td.level").all_inner_texts())
    assert levels
    assert levels <= {"WARNING", "ERROR", "CRITICAL"}
    assert "log_level=30" in page.url
    page.select_option("#log-level", "")
    logs.get_by_text(f"info line of {label}").wait_for()

    # a graph node leads to its task run
    page.locator("svg.graph a").first.click()
    page.wait_for_url("**/task-runs/*")
    assert page.locator("h1").inner_text().startswith("fetch-")


def test_the_live_tail_shows_lines_logged_while_the_page_is_open(
    ui_server: Any, page: Any, tmp_path: Path
) -> None:
    label = f"tail-{uuid.uuid4().hex[:8]}"
    gate = tmp_path / "gate"
    process = _start(ui_server, "tail", label, str(gate))
    try:
        run_id = _run_id(ui_server, label, state="RUNNING")
        page.goto(f"{ui_server.url}/flow-runs/{run_id}")
        page.evaluate("window.__notReloaded = true")
        assert page.locator("#run-state").inner_text() == "Running"
        page.locator("#logs").get_by_text(f"before the gate of {label}").wait_for()
        assert page.locator("#logs").get_by_text(f"after the gate of {label}").count() == 0
        gate.write_text("open")
        page.locator("#logs").get_by_text(f"after the gate of {label}").wait_for()
        page.wait_for_function(
            "document.getElementById('run-state').textContent === 'Completed'", timeout=30_000
        )
        assert page.evaluate("window.__notReloaded") is True
        # every line exactly once, in order
        messages = page.locator("#logs td.msg").all_inner_texts()
        mine = [m for m in messages if label in m]
        assert mine == [f"before the gate of {label}", f"after the gate of {label}"]
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cancel_a_running_run_from_its_page(ui_server: Any, page: Any) -> None:
    label = f"cancel-{uuid.uuid4().hex[:8]}"
    process = _start(ui_server, "sleepy", label)
    try:
        run_id = _run_id(ui_server, label, state="RUNNING")
        page.goto(f"{ui_server.url}/flow-runs/{run_id}")
        assert page.locator("#run-state").inner_text() == "Running"
        page.locator("#cancel-form button").click()
        page.wait_for_url(f"**/flow-runs/{run_id}?msg=*")
        page.wait_for_function(
            "document.getElementById('run-state').textContent === 'Cancelled'", timeout=30_000
        )
        assert page.locator("#cancel-form").count() == 0
        with httpx.Client(base_url=ui_server.url, timeout=30) as api:
            assert api.get(f"/api/flow_runs/{run_id}").json()["state_type"] == "CANCELLED"
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_retry_from_the_page_and_follow_the_run_to_completed(
    ui_server: Any, page: Any, tmp_path: Path
) -> None:
    label = f"retry-{uuid.uuid4().hex[:8]}"
    _start(ui_server, "flaky", label, str(tmp_path / "marker")).wait(timeout=120)
    run_id = _run_id(ui_server, label, state="FAILED")
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    assert page.locator("#run-state").inner_text() == "Failed"
    page.locator("#retry-form button").click()
    page.wait_for_url(f"**/flow-runs/{run_id}?msg=retry-started")
    assert "Retry started on the server" in page.locator(".flash").inner_text()
    page.wait_for_function(
        "document.getElementById('run-state').textContent === 'Completed'", timeout=60_000
    )
    assert page.locator("#retry-form").count() == 0
    with httpx.Client(base_url=ui_server.url, timeout=30) as api:
        run = api.get(f"/api/flow_runs/{run_id}").json()
    assert run["state_type"] == "COMPLETED"
    assert run["run_count"] == 2


def test_logs_past_the_first_page_are_fetched_once_each(ui_server: Any, page: Any) -> None:
    label = f"chatty-{uuid.uuid4().hex[:8]}"
    _start(ui_server, "chatty", label, "1234").wait(timeout=120)
    run_id = _run_id(ui_server, label, state="COMPLETED")
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    page.locator("#logs").get_by_text(f"line 1233 of {label}").wait_for()
    mine = [m for m in page.locator("#logs td.msg").all_inner_texts() if label in m]
    assert mine == [f"line {i:04d} of {label}" for i in range(1234)]
