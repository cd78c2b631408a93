"""The runs pages of the web UI over a real server: dashboard, flow-run list and filters,
one flow run (timeline, graph, task runs, logs, artifacts), Cancel and Retry through the
forms, the 404 page, a 10,000-task run; and the timeline and graph layouts themselves."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import pytest

from headwater import _store, flow, get_run_logger, task
from headwater._store.records import FlowRunRecord, TaskRunRecord
from headwater.artifacts import create_markdown_artifact
from headwater.server.ui._graph import build_graph, dependencies, layers, strongly_connected
from headwater.server.ui._timeline import (
    AXIS_HEIGHT,
    CHART_WIDTH,
    LABEL_WIDTH,
    ROW_HEIGHT,
    build_timeline,
    nice_step,
    worst_state,
)

# -- real flows -------------------------------------------------------------------


@task
def extract(n: int) -> list[int]:
    return list(range(n))


@task
def double(rows: list[int]) -> list[int]:
    return [r * 2 for r in rows]


@task
def load(rows: list[int], more: list[int]) -> int:
    get_run_logger().warning("loaded %d rows", len(rows) + len(more))
    return len(rows)


@task
def explode() -> None:
    raise ValueError("boom <b>not bold</b>")


@flow(name="etl", tags=["nightly"])
def etl(n: int = 3) -> int:
    get_run_logger().info("starting")
    rows = extract.submit(n)
    left = double.submit(rows)
    right = double.submit(rows)
    result = load.submit(left, right)
    create_markdown_artifact("# done", key="etl-report", description="the etl report")
    return result.result()


@flow(name="broken", tags=["adhoc"])
def broken() -> None:
    explode()


@task
def tiny(i: int) -> int:
    return i


@flow(name="wide")
def wide(n: int = 10_000) -> int:
    return len(tiny.map(range(n)).result())


def _run_flows() -> dict[str, str]:
    etl(3)
    broken(return_state=True)
    store = _store.get_store()
    store.flush()
    return {run.flow_name: run.id for run in store.read_flow_runs(limit=None)}


def _page(client: httpx.Client, path: str, **params: object) -> str:
    # (httpx would drop a query already in ``path`` if given empty params)
    response = client.get(path, params=params) if params else client.get(path)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _run_ids_in(text: str) -> list[str]:
    return re.findall(r'<tr data-run-id="([0-9a-f]+)"', text)


def _csrf(client: httpx.Client, path: str) -> str:
    """GET ``path`` (setting the CSRF cookie on ``client``) and return its form's token."""
    page = _page(client, path)
    match = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert match is not None, "the page has no csrf_token field"
    return html.unescape(match.group(1))


# -- dashboard --------------------------------------------------------------------


def test_dashboard_of_a_new_install_says_so(client: httpx.Client, store_url: str) -> None:
    text = _page(client, "/")
    assert "No flow runs yet" in text
    assert 'id="state-counts"' not in text


def test_dashboard_counts_by_state_and_lists_failures_first(
    client: httpx.Client, store_url: str
) -> None:
    ids = _run_flows()
    text = _page(client, "/")
    cards = dict(re.findall(r'href="/flow-runs\?state=([A-Z]+)"><div class="n">(\d+)</div>', text))
    assert cards == {"FAILED": "1", "COMPLETED": "1"}
    assert '<div class="n">2</div><div class="muted">All flow runs' in text
    failures = text.split('id="failures"')[1].split("</table>")[0]
    latest = text.split('id="latest"')[1].split("</table>")[0]
    assert ids["broken"] in failures
    assert ids["etl"] not in failures
    assert ids["etl"] in latest
    assert text.index('id="failures"') < text.index('id="latest"')


# -- the list ---------------------------------------------------------------------


def test_flow_run_list_filters(client: httpx.Client, store_url: str) -> None:
    ids = _run_flows()
    everything = _page(client, "/flow-runs")
    assert _run_ids_in(everything) == [ids["broken"], ids["etl"]]
    assert "Page 1 of 1" in everything
    row = everything.split(f'data-run-id="{ids["etl"]}"')[1].split("</tr>")[0]
    assert "etl" in row
    assert "s-COMPLETED" in row
    assert re.search(r'<td class="num">4</td>', row)  # its task runs
    assert '<span class="tag">nightly</span>' in row

    assert _run_ids_in(_page(client, "/flow-runs", state="failed")) == [ids["broken"]]
    assert _run_ids_in(_page(client, "/flow-runs", state="Completed")) == [ids["etl"]]
    assert _run_ids_in(_page(client, "/flow-runs", flow="etl")) == [ids["etl"]]
    assert _run_ids_in(_page(client, "/flow-runs", tag="adhoc")) == [ids["broken"]]
    assert _run_ids_in(_page(client, "/flow-runs", since="hour")) == [ids["broken"], ids["etl"]]
    future = _page(client, "/flow-runs", start="2999-01-01T00:00")
    assert _run_ids_in(future) == []
    assert "No flow runs match these filters." in future
    past = _page(client, "/flow-runs", end="2000-01-01T00:00")
    assert _run_ids_in(past) == []
    assert '<option value="broken">' in everything  # the flow field suggests known flows

    # a run created two days ago (never started): in "last week", not in "last day"
    old_id = uuid.uuid4().hex
    store = _store.get_store()
    store.create_flow_run(
        FlowRunRecord(id=old_id, flow_name="etl", name="old-run", created=time.time() - 2 * 86400)
    )
    store.flush()
    assert old_id not in _run_ids_in(_page(client, "/flow-runs", since="day"))
    assert old_id in _run_ids_in(_page(client, "/flow-runs", since="week"))
    two_days_ago = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 2 * 86400 - 60))
    one_day_ago = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 86400))
    window = _page(client, "/flow-runs", start=two_days_ago, end=one_day_ago, flow="etl")
    assert _run_ids_in(window) == [old_id]

    bad = _page(client, "/flow-runs", state="sideways")
    assert "flash-error" in bad
    assert "state: " in bad
    assert "sideways" in bad
    assert _run_ids_in(bad) == []
    assert "flash-error" in _page(client, "/flow-runs", start="yesterday-ish")


def test_flow_run_list_pages_and_rows_partial(client: httpx.Client, store_url: str) -> None:
    ids = _run_flows()
    first = _page(client, "/flow-runs", limit=1)
    assert _run_ids_in(first) == [ids["broken"]]
    assert "Page 1 of 2" in first
    assert 'href="/flow-runs?limit=1&amp;offset=1"' in first
    second = _page(client, "/flow-runs", limit=1, offset=1)
    assert _run_ids_in(second) == [ids["etl"]]
    assert "Page 2 of 2" in second

    # The partial the page polls: the same rows, and a new run appears in it.
    src = re.search(r'data-poll-rows="([^"]+)"', _page(client, "/flow-runs", flow="etl"))
    assert src is not None
    partial = _page(client, html.unescape(src.group(1)))
    assert "<html" not in partial
    assert _run_ids_in(partial) == [ids["etl"]]
    etl(2)
    _store.get_store().flush()
    assert len(_run_ids_in(_page(client, html.unescape(src.group(1))))) == 2


# -- one flow run -----------------------------------------------------------------


def test_flow_run_page_shows_everything_about_the_run(client: httpx.Client, store_url: str) -> None:
    ids = _run_flows()
    store = _store.get_store()
    tasks = store.read_task_runs(flow_run_id=ids["etl"])
    text = _page(client, f"/flow-runs/{ids['etl'][:8]}")  # a prefix works too
    assert 'id="run-state" class="badge s-COMPLETED">Completed<' in text
    assert '"n": 3' in html.unescape(text.split('class="params"')[1].split("</pre>")[0])
    history = text.split('id="state-history"')[1].split("</table>")[0]
    assert [m for m in re.findall(r">(Pending|Running|Completed)<", history)] == [
        "Pending",
        "Running",
        "Completed",
    ]
    # timeline: one bar per task run; graph: one node per task run, one edge per dependency
    timeline = text.split('class="timeline"')[1].split("</svg>")[0]
    assert timeline.count('<g class="row">') == len(tasks) == 4
    graph = text.split('class="graph"')[1].split("</svg>")[0]
    assert graph.count('<g class="node"') == 4
    assert graph.count('class="edge"') == 4  # extract->double x2, double->load x2
    assert sorted(re.findall(r'data-layer="(\d+)"', graph)) == ["0", "1", "1", "2"]
    for t in tasks:
        assert f'href="/task-runs/{t.id}"' in graph
    # task runs table, logs, artifacts
    assert text.count('<a href="/task-runs/') >= 4
    assert "loaded 6 rows" in text
    assert ">starting<" in text
    artifact = store.read_artifacts(flow_run_id=ids["etl"])[0]
    assert f'href="/artifacts/{artifact.id}"' in text
    assert "the etl report" in text
    # a final run offers no Cancel, and a Completed one no Retry
    assert 'id="cancel-form"' not in text
    assert 'id="retry-form"' not in text

    warnings_only = _page(client, f"/flow-runs/{ids['etl']}", log_level=30)
    assert "loaded 6 rows" in warnings_only
    assert ">starting<" not in warnings_only

    failed = _page(client, f"/flow-runs/{ids['broken']}")
    assert 'id="retry-form"' in failed
    # text from the run is escaped, never markup
    assert "<b>not bold</b>" not in failed
    assert "&lt;b&gt;not bold&lt;/b&gt;" in failed
    only_failed = _page(client, f"/flow-runs/{ids['etl']}", task_state="FAILED")
    assert "No task runs in this state." in only_failed

    task_page = _page(client, f"/task-runs/{tasks[-1].id}")
    assert "load-0" in task_page
    assert "loaded 6 rows" in task_page
    assert f'href="/task-runs/{tasks[1].id}"' in task_page  # its upstreams
    assert f'href="/flow-runs/{ids["etl"]}"' in task_page

    charts = _page(client, f"/flow-runs/{ids['etl']}/charts")
    assert "<html" not in charts
    assert charts.count('<g class="node"') == 4


def test_unknown_ids_get_a_404_page_naming_them(client: httpx.Client, store_url: str) -> None:
    _run_flows()
    for path, kind in (
        ("/flow-runs/nosuchrun123", "flow run"),
        ("/flow-runs/nosuchrun123/charts", "flow run"),
        ("/task-runs/nosuchrun123", "task run"),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert f"No {kind} has the id <code>nosuchrun123</code>" in response.text
        assert "Traceback" not in response.text


def test_an_ambiguous_prefix_is_a_404_saying_so(client: httpx.Client, store_url: str) -> None:
    store = _store.get_store()
    for suffix in ("1", "2"):
        store.create_flow_run(
            FlowRunRecord(id="abcdef0" + suffix * 25, flow_name="x", name=suffix, created=1.0)
        )
    store.flush()
    response = client.get("/flow-runs/abcdef0")
    assert response.status_code == 404
    assert "ambiguous" in response.text


# -- Cancel and Retry -------------------------------------------------------------


def _pending_run() -> str:
    """A flow run waiting to start (what a deployment's schedule leaves behind)."""
    run_id = uuid.uuid4().hex
    store = _store.get_store()
    store.create_flow_run(
        FlowRunRecord(id=run_id, flow_name="later", name="patient-run", created=time.time())
    )
    store.flush()
    return run_id


def test_cancel_through_the_form(client: httpx.Client, store_url: str) -> None:
    run_id = _pending_run()
    path = f"/flow-runs/{run_id}"
    token = _csrf(client, path)
    assert 'id="cancel-form"' in _page(client, path)

    refused = client.post(f"{path}/cancel", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    assert _store.get_store().read_flow_run(run_id).state_type == "PENDING"

    done = client.post(f"{path}/cancel", data={"csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == f"{path}?msg=cancelled"
    assert _store.get_store().read_flow_run(run_id).state_type == "CANCELLED"
    after = _page(client, done.headers["location"])
    assert "Flow run cancelled." in after
    assert "s-CANCELLED" in after

    again = client.post(f"{path}/cancel", data={"csrf_token": token})
    assert again.headers["location"] == f"{path}?msg=cancel-final"
    assert "there is nothing to cancel" in _page(client, again.headers["location"])

    unknown = client.post("/flow-runs/nosuchrun123/cancel", data={"csrf_token": token})
    assert unknown.status_code == 404
    assert "nosuchrun123" in unknown.text


FLAKY = """
import os
import sys
from pathlib import Path

from headwater import flow

MARKER = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ["FLAKY_MARKER"])


@flow(name="flaky")
def flaky(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("first attempt fails")
    return "ok"


if __name__ == "__main__":
    flaky(str(MARKER), return_state=True)
"""


def test_retry_through_the_form_reruns_the_flow(
    client: httpx.Client, store_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "flaky_flow.py"
    script.write_text(textwrap.dedent(FLAKY))
    marker = tmp_path / "marker"
    subprocess.run(
        [sys.executable, str(script), str(marker)],
        env=dict(os.environ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    store = _store.get_store()
    (run,) = store.read_flow_runs(flow_name="flaky")
    assert run.state_type == "FAILED"
    path = f"/flow-runs/{run.id}"
    token = _csrf(client, path)

    started = client.post(f"{path}/retry", data={"csrf_token": token})
    assert started.status_code == 303
    assert started.headers["location"] == f"{path}?msg=retry-started"
    assert "Retry started on the server" in _page(client, started.headers["location"])
    deadline = time.monotonic() + 120
    while True:
        again = store.read_flow_run(run.id)
        if again.state_type == "COMPLETED" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert again.state_type == "COMPLETED", again
    assert again.run_count == 2
    logs = list((Path(os.environ["HEADWATER_HOME"]) / "logs").glob(f"retry-{run.id}-*.log"))
    assert len(logs) == 1

    refused = client.post(f"{path}/retry", data={"csrf_token": token})
    assert refused.headers["location"] == f"{path}?msg=retry-refused"
    assert "Only Failed, Crashed or Cancelled" in _page(client, refused.headers["location"])
    assert client.post(f"{path}/retry", data={}).status_code == 403


# -- a 10,000-task run ------------------------------------------------------------


def test_a_run_of_ten_thousand_tasks_renders_bounded(
    client: httpx.Client, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert wide(10_000) == 10_000
    store = _store.get_store()
    store.flush()
    (run,) = store.read_flow_runs(flow_name="wide")
    assert store.count_task_runs(flow_run_id=run.id) == 10_000
    started = time.perf_counter()
    response = client.get(f"/flow-runs/{run.id}")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    text = response.text
    with capsys.disabled():
        print(
            f"\n[{store_url.split(':')[0]}] /flow-runs/<10,000-task run>: "
            f"{elapsed * 1000:.0f} ms, {len(text) / 1024:.0f} KiB"
        )
    assert len(text) < 300_000  # bounded: aggregated charts, one page of task runs
    assert "This run has 10000 task runs" in text
    timeline = text.split('class="timeline"')[1].split("</svg>")[0]
    assert timeline.count('<g class="row">') == 1  # one task key
    assert "tiny \u00d710000" in timeline
    graph = text.split('class="graph"')[1].split("</svg>")[0]
    assert graph.count('<g class="node"') == 1
    table = text.split('id="task-runs"')[1].split("</section>")[0]
    assert table.count('<a href="/task-runs/') == 100
    assert "page 1 of 100" in table
    last = _page(client, f"/flow-runs/{run.id}", task_offset=9_900)
    last_table = last.split('id="task-runs"')[1].split("</section>")[0]
    assert last_table.count('<a href="/task-runs/') == 100
    assert "page 100 of 100" in last_table


# -- layouts (unit) ---------------------------------------------------------------


def _task(
    name: str,
    *,
    key: str | None = None,
    inputs: dict[str, list[str]] | None = None,
    wait_for: list[str] | None = None,
    state: str = "COMPLETED",
    start: float | None = 100.0,
    end: float | None = 101.0,
) -> TaskRunRecord:
    return TaskRunRecord(
        id=name,
        flow_run_id="f",
        task_key=key or name.rsplit("-", 1)[0],
        dynamic_key="0",
        name=name,
        created=start or 100.0,
        task_inputs=inputs or {},
        wait_for=wait_for or [],
        state_type=state,
        state_name=state.title(),
        start_time=start,
        end_time=end,
    )


def _flow_run(start: float = 100.0, end: float | None = 110.0, state: str = "COMPLETED"):  # type: ignore[no-untyped-def]
    return FlowRunRecord(
        id="f",
        flow_name="x",
        name="y",
        created=start,
        state_type=state,
        start_time=start,
        end_time=end,
    )


def test_layers_are_longest_paths_and_edges_point_forward() -> None:
    # a -> b -> d, a -> d, c (alone), e waits for d and c
    up = {"b": ["a"], "d": ["b", "a"], "e": ["d", "c"]}
    result = layers(["a", "b", "c", "d", "e"], up)
    assert result == {"a": 0, "b": 1, "c": 0, "d": 2, "e": 3}
    for node, ups in up.items():
        for u in ups:
            assert result[u] < result[node]


def test_layers_put_a_cycle_in_one_layer() -> None:
    up = {"b": ["a", "c"], "c": ["b"], "d": ["c"]}
    comp = strongly_connected(["a", "b", "c", "d"], up)
    assert comp[1] == comp[2]
    assert len(set(comp)) == 3
    assert layers(["a", "b", "c", "d"], up) == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_layers_of_a_long_chain_need_no_recursion() -> None:
    names = [f"n{i}" for i in range(5000)]
    up = {names[i]: [names[i - 1]] for i in range(1, len(names))}
    assert layers(names, up)[names[-1]] == 4999


def test_graph_of_task_runs() -> None:
    runs = [
        _task("extract-0"),
        _task("clean-0", inputs={"rows": ["extract-0"]}),
        _task("clean-1", inputs={"rows": ["extract-0"]}, state="FAILED"),
        _task("load-0", inputs={"a": ["clean-0"], "b": ["clean-1"]}, wait_for=["extract-0"]),
    ]
    assert dependencies(runs[3]) == ["clean-0", "clean-1", "extract-0"]
    graph = build_graph(runs)
    assert not graph.aggregated
    by_id = {n.id: n for n in graph.nodes}
    assert [by_id[r.id].layer for r in runs] == [0, 1, 1, 2]
    assert by_id["clean-1"].state_type == "FAILED"
    assert by_id["load-0"].href == "/task-runs/load-0"
    assert {(e.source, e.target) for e in graph.edges} == {
        ("extract-0", "clean-0"),
        ("extract-0", "clean-1"),
        ("clean-0", "load-0"),
        ("clean-1", "load-0"),
        ("extract-0", "load-0"),
    }
    for edge in graph.edges:
        assert by_id[edge.source].layer < by_id[edge.target].layer
        assert by_id[edge.source].x < by_id[edge.target].x
    assert graph.width >= by_id["load-0"].x + 150


def test_graph_aggregates_big_runs_by_task_key() -> None:
    runs = [_task(f"fetch-{i}", key="fetch") for i in range(6)]
    runs += [
        _task(
            f"parse-{i}",
            key="parse",
            inputs={"page": [f"fetch-{i}"]},
            state="FAILED" if i == 0 else "COMPLETED",
        )
        for i in range(6)
    ]
    runs.append(_task("report-0", key="report", inputs={"x": [r.id for r in runs[6:]]}))
    graph = build_graph(runs, max_nodes=5)
    assert graph.aggregated
    by_id = {n.id: n for n in graph.nodes}
    assert {k: n.count for k, n in by_id.items()} == {"fetch": 6, "parse": 6, "report": 1}
    assert [by_id[k].layer for k in ("fetch", "parse", "report")] == [0, 1, 2]
    assert by_id["parse"].state_type == "FAILED"  # the worst state of its runs
    assert "1 Failed, 5 Completed" in by_id["parse"].title
    assert {(e.source, e.target) for e in graph.edges} == {
        ("fetch", "parse"),
        ("parse", "report"),
    }
    # a task key feeding itself (recursion) stays in one layer and loses no node
    chain = [_task("step-0", key="step")] + [
        _task(f"step-{i}", key="step", inputs={"x": [f"step-{i - 1}"]}) for i in range(1, 4)
    ]
    looped = build_graph(chain, max_nodes=2)
    assert [(n.id, n.layer, n.count) for n in looped.nodes] == [("step", 0, 4)]
    assert looped.edges == ()


def test_graph_caps_edges() -> None:
    runs = [_task(f"a-{i}") for i in range(10)]
    runs.append(_task("sink-0", inputs={"xs": [r.id for r in runs]}))
    graph = build_graph(runs, max_edges=4)
    assert len(graph.edges) == 4
    assert graph.edges_dropped == 6


def test_timeline_bars_follow_the_clock() -> None:
    run = _flow_run(start=100.0, end=110.0)
    tasks = [
        _task("a-0", start=100.0, end=105.0),
        _task("b-0", start=105.0, end=110.0, state="FAILED"),
        _task("c-0", start=None, end=None, state="PENDING"),
    ]
    tl = build_timeline(run, tasks, now=200.0)
    assert not tl.aggregated
    assert tl.span == 10.0
    a, b, c = tl.bars
    assert a.x == LABEL_WIDTH
    assert a.width == pytest.approx(CHART_WIDTH / 2)
    assert b.x == pytest.approx(LABEL_WIDTH + CHART_WIDTH / 2)
    assert b.state_type == "FAILED"
    assert "Failed" in b.title
    assert "5.0 s" in b.title
    assert c.width == 1.0  # never started: a sliver at its creation time
    assert [bar.y for bar in tl.bars] == [AXIS_HEIGHT + i * ROW_HEIGHT for i in range(3)]
    assert tl.ticks[0] == (LABEL_WIDTH, "0")
    assert tl.ticks[-1][0] <= LABEL_WIDTH + CHART_WIDTH + 0.001


def test_timeline_running_bars_extend_to_now() -> None:
    run = _flow_run(start=100.0, end=None, state="RUNNING")
    tasks = [_task("a-0", start=100.0, end=None, state="RUNNING")]
    tl = build_timeline(run, tasks, now=120.0)
    assert tl.span == 20.0
    assert tl.bars[0].width == pytest.approx(CHART_WIDTH)


def test_timeline_aggregates_by_task_key_with_state_shares() -> None:
    run = _flow_run(start=0.0, end=100.0)
    tasks = [
        _task(f"t-{i}", key="t", start=float(i), end=float(i + 1), state=s)
        for i, s in enumerate(["COMPLETED"] * 3 + ["FAILED"])
    ]
    tasks.append(_task("u-0", key="u", start=50.0, end=100.0))
    tl = build_timeline(run, tasks, now=100.0, max_rows=3)
    assert tl.aggregated
    assert len(tl.bars) == 2
    t_bar, u_bar = tl.bars
    assert t_bar.count == 4
    assert t_bar.label == "t \u00d74"
    assert t_bar.state_type == "FAILED"
    assert [(s.state_type, round(s.width / t_bar.width, 2)) for s in t_bar.segments] == [
        ("FAILED", 0.25),
        ("COMPLETED", 0.75),
    ]
    assert t_bar.width == pytest.approx(CHART_WIDTH * 4 / 100)
    assert u_bar.x == pytest.approx(LABEL_WIDTH + CHART_WIDTH / 2)


def test_nice_steps_and_worst_state() -> None:
    assert nice_step(10.0) == 2.0
    assert nice_step(0.9) == 0.2
    assert nice_step(3600.0) == 600.0
    assert nice_step(0.0) == 1.0
    assert worst_state(["COMPLETED", "RUNNING", "FAILED"]) == "FAILED"
    assert worst_state(["COMPLETED", "PENDING"]) == "PENDING"
