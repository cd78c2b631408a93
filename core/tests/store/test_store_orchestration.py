"""Orchestration rules for flow-run state proposals, flows, and run filters/sorting.

Claim-once is tested with real concurrency: threads each with their own store
connection, and separate OS processes, released together.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from store_factories import flow_run, new_id, start_python, task_run, tick

from headwater._store import FlowRunRecord, StateRecord, Store, get_store
from headwater._store.ops import FINAL_STATE_TYPES
from headwater._store.orchestration import ALLOWED_TRANSITIONS, STATE_TYPES
from headwater._store.records import TransitionResult
from headwater.errors import ConfigurationError, ObjectNotFound
from headwater.settings import get_settings
from headwater.states import StateType

FINAL = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]


@pytest.fixture
def store(store_url: str) -> Store:
    return get_store()


def _state(run_id: str, type_: str, name: str | None = None, **kw: object) -> StateRecord:
    return StateRecord(
        id=new_id(),
        run_id=run_id,
        run_kind="flow",
        type=type_,
        name=name or type_.title(),
        timestamp=tick(),
        **kw,  # type: ignore[arg-type]
    )


def _run_in(store: Store, type_: str, name: str | None = None, **kw: object) -> FlowRunRecord:
    """A stored flow run whose history is one state of ``type_`` (written buffered)."""
    run = flow_run(**kw)
    store.create_flow_run(run)
    store.set_state("flow", run.id, _state(run.id, type_, name))
    store.flush()
    return store.read_flow_run(run.id)


def _history(store: Store, run_id: str) -> list[tuple[str, str]]:
    return [(s.type, s.name) for s in store.read_states(run_id)]


def _propose(
    store: Store, run_id: str, type_: str, name: str | None = None, **kw: object
) -> TransitionResult:
    return store.propose_flow_run_state(run_id, _state(run_id, type_, name), **kw)  # type: ignore[arg-type]


# -- the rules -----------------------------------------------------------------------


def test_unknown_run_is_not_found_naming_the_id(store: Store) -> None:
    missing = new_id()
    with pytest.raises(ObjectNotFound, match=missing):
        _propose(store, missing, "RUNNING")
    run = _run_in(store, "SCHEDULED")
    with pytest.raises(ObjectNotFound, match=run.id[:8]):  # the store takes full ids only
        _propose(store, run.id[:8], "RUNNING")
    assert _history(store, run.id) == [("SCHEDULED", "Scheduled")]


def test_claim_from_scheduled_updates_the_run_and_a_second_claim_is_rejected(
    store: Store,
) -> None:
    run = _run_in(store, "SCHEDULED", pid=4242, hostname="elsewhere")
    claim = _state(run.id, "RUNNING")
    result = store.propose_flow_run_state(run.id, claim)
    assert result == TransitionResult("ACCEPT", "RUNNING", "Running", claim.id, None, False)
    after = store.read_flow_run(run.id)
    assert (after.state_type, after.state_name, after.run_count) == ("RUNNING", "Running", 1)
    assert after.start_time == pytest.approx(claim.timestamp)
    assert after.end_time is None
    # the old process is forgotten and the claim counts as a heartbeat
    assert (after.pid, after.hostname) == (None, None)
    assert after.heartbeat == pytest.approx(claim.timestamp)

    again = _propose(store, run.id, "RUNNING")
    assert again.status == "REJECT"
    assert "already Running" in (again.reason or "")
    assert run.id in (again.reason or "")
    assert (again.state_type, again.state_id, again.duplicate) == ("RUNNING", claim.id, False)
    assert _history(store, run.id) == [("SCHEDULED", "Scheduled"), ("RUNNING", "Running")]
    assert store.read_flow_run(run.id).run_count == 1


def test_a_repeated_transition_id_is_a_no_op_returning_the_first_outcome(store: Store) -> None:
    run = _run_in(store, "PENDING")
    first = _propose(store, run.id, "RUNNING", transition_id="tx-1")
    assert (first.status, first.duplicate) == ("ACCEPT", False)
    history = store.read_states(run.id)

    replay = _propose(store, run.id, "RUNNING", transition_id="tx-1")
    assert replay == TransitionResult("ACCEPT", "RUNNING", "Running", first.state_id, None, True)
    assert store.read_states(run.id) == history
    assert store.read_flow_run(run.id).run_count == 1

    # still the original outcome after the run moved on, whatever the replay proposes
    done = _propose(store, run.id, "COMPLETED", transition_id="tx-2")
    assert done.status == "ACCEPT"
    late = _propose(store, run.id, "FAILED", "Oops", transition_id="tx-1")
    assert (late.status, late.state_type, late.state_id, late.duplicate) == (
        "ACCEPT",
        "RUNNING",
        first.state_id,
        True,
    )
    assert store.read_flow_run(run.id).state_type == "COMPLETED"
    assert len(store.read_states(run.id)) == 3

    # transition ids are per run
    other = _run_in(store, "PENDING")
    assert _propose(store, other.id, "RUNNING", transition_id="tx-1").duplicate is False


def test_a_rejected_proposal_records_nothing_so_its_id_can_be_accepted_later(
    store: Store,
) -> None:
    run = _run_in(store, "RUNNING")
    rejected = _propose(store, run.id, "RUNNING", transition_id="again")
    assert rejected.status == "REJECT"
    _propose(store, run.id, "PAUSED")
    accepted = _propose(store, run.id, "RUNNING", transition_id="again")
    assert (accepted.status, accepted.duplicate) == ("ACCEPT", False)


@pytest.mark.parametrize("final", FINAL)
def test_a_final_run_cannot_silently_become_running(store: Store, final: str) -> None:
    run = _run_in(store, "RUNNING")
    _propose(store, run.id, final)
    ended = store.read_flow_run(run.id)
    assert ended.end_time is not None
    for target in ("RUNNING", "PENDING", "COMPLETED", "CANCELLING"):
        result = _propose(store, run.id, target)
        assert result.status == "REJECT", target
        reason = result.reason or ""
        assert f"is {final.title()} (final)" in reason
        assert f"cannot become {target.title()}" in reason
        assert run.id in reason
        assert "AwaitingRetry" in reason
        assert result.state_type == final
    assert store.read_flow_run(run.id).state_type == final
    assert len(store.read_states(run.id)) == 2


def test_retry_path_awaiting_retry_then_claim(store: Store) -> None:
    run = _run_in(store, "SCHEDULED")
    first_start = _propose(store, run.id, "RUNNING")
    _propose(store, run.id, "FAILED")
    retry = _propose(store, run.id, "SCHEDULED", "AwaitingRetry")
    assert (retry.status, retry.state_name) == ("ACCEPT", "AwaitingRetry")
    waiting = store.read_flow_run(run.id)
    assert (waiting.state_type, waiting.end_time) == ("SCHEDULED", None)
    claim = _propose(store, run.id, "RUNNING")
    assert claim.status == "ACCEPT"
    _propose(store, run.id, "COMPLETED")
    done = store.read_flow_run(run.id)
    assert done.run_count == 2
    first = next(s for s in store.read_states(run.id) if s.id == first_start.state_id)
    assert done.start_time == pytest.approx(first.timestamp)  # start_time is the first start
    assert _history(store, run.id) == [
        ("SCHEDULED", "Scheduled"),
        ("RUNNING", "Running"),
        ("FAILED", "Failed"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Running"),
        ("COMPLETED", "Completed"),
    ]
    # a Running run cannot be rescheduled by a proposal (a second retry would steal it)
    run2 = _run_in(store, "RUNNING")
    assert _propose(store, run2.id, "SCHEDULED", "AwaitingRetry").status == "REJECT"


def test_force_accepts_anything_but_a_replay_stays_a_replay(store: Store) -> None:
    run = _run_in(store, "COMPLETED")
    forced = _propose(store, run.id, "RUNNING", force=True, transition_id="f")
    assert (forced.status, forced.state_type) == ("ACCEPT", "RUNNING")
    assert _propose(store, run.id, "RUNNING", force=True).status == "ACCEPT"
    assert _propose(store, run.id, "PENDING", force=True, transition_id="f").duplicate is True
    assert store.read_flow_run(run.id).run_count == 2


@pytest.mark.parametrize(
    ("current", "proposed", "status"),
    [
        ("SCHEDULED", "PENDING", "ACCEPT"),
        ("SCHEDULED", "CANCELLED", "ACCEPT"),
        ("SCHEDULED", "SCHEDULED", "ACCEPT"),
        ("SCHEDULED", "COMPLETED", "REJECT"),
        ("SCHEDULED", "CANCELLING", "REJECT"),
        ("PENDING", "RUNNING", "ACCEPT"),
        ("PENDING", "FAILED", "ACCEPT"),
        ("PENDING", "COMPLETED", "REJECT"),
        ("PENDING", "PENDING", "REJECT"),
        ("RUNNING", "COMPLETED", "ACCEPT"),
        ("RUNNING", "PAUSED", "ACCEPT"),
        ("RUNNING", "CRASHED", "ACCEPT"),
        ("RUNNING", "CANCELLING", "ACCEPT"),
        ("RUNNING", "PENDING", "REJECT"),
        ("PAUSED", "RUNNING", "ACCEPT"),
        ("PAUSED", "PAUSED", "REJECT"),
        ("CANCELLING", "CANCELLED", "ACCEPT"),
        ("CANCELLING", "COMPLETED", "ACCEPT"),
        ("CANCELLING", "RUNNING", "REJECT"),
        ("CANCELLING", "CANCELLING", "REJECT"),
        ("FAILED", "SCHEDULED", "ACCEPT"),
        ("CANCELLED", "CANCELLED", "REJECT"),
    ],
)
def test_transition_table(store: Store, current: str, proposed: str, status: str) -> None:
    run = _run_in(store, current)
    result = _propose(store, run.id, proposed)
    assert result.status == status, result.reason
    after = store.read_flow_run(run.id)
    if status == "ACCEPT":
        assert after.state_type == proposed
        assert _history(store, run.id)[-1] == (proposed, proposed.title())
        assert (after.end_time is not None) == (proposed in FINAL)
    else:
        assert after.state_type == current
        assert len(store.read_states(run.id)) == 1
        reason = result.reason or ""
        assert current.title() in reason
        assert proposed.title() in reason


def test_unknown_state_type_is_refused_naming_it(store: Store) -> None:
    run = _run_in(store, "PENDING")
    with pytest.raises(ConfigurationError, match=r"`state.type` 'WAITING'"):
        _propose(store, run.id, "WAITING")
    assert len(store.read_states(run.id)) == 1


def test_a_proposal_sees_this_process_buffered_writes(store: Store) -> None:
    run = flow_run(state_type="SCHEDULED", state_name="Scheduled")
    store.create_flow_run(run)  # buffered, not flushed
    assert _propose(store, run.id, "RUNNING").status == "ACCEPT"


def test_message_and_transition_outcome_are_stored(store: Store) -> None:
    run = _run_in(store, "RUNNING")
    state = _state(run.id, "FAILED", message="disk full")
    store.propose_flow_run_state(run.id, state)
    after = store.read_flow_run(run.id)
    assert (after.state_message, after.end_time) == ("disk full", pytest.approx(state.timestamp))
    (last,) = [s for s in store.read_states(run.id) if s.id == state.id]
    assert (last.type, last.message) == ("FAILED", "disk full")


# -- claim-once with real concurrency ------------------------------------------------

CONTENDERS = 8
ROUNDS = 4


def _own_store() -> Store:
    """A store with its own connection (an HTTP store is shared: its requests are concurrent)."""
    if get_settings().api_url:
        return get_store()
    from headwater._store.sql import SqlStore

    return SqlStore(get_settings().database_url)


def _race(stores: list[Store], run_id: str) -> list[TransitionResult]:
    """Every store proposes RUNNING for ``run_id`` from its own thread, released together."""
    barrier = threading.Barrier(len(stores))
    results: list[TransitionResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def contend(own: Store) -> None:
        try:
            barrier.wait(timeout=60)
            outcome = _propose(own, run_id, "RUNNING")
            with lock:
                results.append(outcome)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=contend, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_claim_once_threads_each_with_their_own_store(store: Store) -> None:
    stores = [_own_store() for _ in range(CONTENDERS)]
    try:
        for _ in range(ROUNDS):
            run = _run_in(store, "SCHEDULED")
            results = _race(stores, run.id)
            assert sorted(r.status for r in results) == ["ACCEPT"] + ["REJECT"] * (CONTENDERS - 1)
            rejected = [r.reason or "" for r in results if r.status == "REJECT"]
            assert all("already Running" in reason for reason in rejected)
            assert [t for t, _ in _history(store, run.id)].count("RUNNING") == 1
            assert store.read_flow_run(run.id).run_count == 1
    finally:
        for s in stores:
            if s is not store:
                s.close()


_CONTENDER = textwrap.dedent(
    """
    import json, sys, time, uuid
    from headwater._store import StateRecord, get_store
    store = get_store()
    store.read_flow_runs(limit=1)  # connected and migrated before the start signal
    print("ready", flush=True)
    run_id = sys.stdin.readline().strip()
    state = StateRecord(id=uuid.uuid4().hex, run_id=run_id, run_kind="flow", type="RUNNING",
                        name="Running", timestamp=time.time())
    result = store.propose_flow_run_state(run_id, state)
    print(json.dumps({"status": result.status, "reason": result.reason}), flush=True)
    """
)


@pytest.mark.slow
def test_claim_once_across_processes(store: Store) -> None:
    for _ in range(3):
        run = _run_in(store, "SCHEDULED")
        procs = [start_python(_CONTENDER) for _ in range(CONTENDERS)]
        try:
            for proc in procs:
                assert proc.stdout is not None
                line = proc.stdout.readline()
                assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
            for proc in procs:  # release them together
                assert proc.stdin is not None
                proc.stdin.write(run.id + "\n")
                proc.stdin.flush()
            outcomes = []
            for proc in procs:
                out, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, err
                outcomes.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        statuses = sorted(o["status"] for o in outcomes)
        assert statuses == ["ACCEPT"] + ["REJECT"] * (CONTENDERS - 1)
        assert [t for t, _ in _history(store, run.id)].count("RUNNING") == 1


# -- flow-run retry goes through the rules ----------------------------------------------


def _failed_script_run(tmp_path: Path, body: str = "") -> tuple[FlowRunRecord, Path]:
    """A Failed run of a script flow that completes once ``marker`` exists."""
    script = tmp_path / "job.py"
    marker = tmp_path / "ok"
    script.write_text(
        textwrap.dedent(
            f"""
            import time
            from pathlib import Path
            from headwater import flow

            @flow
            def job(n: int) -> int:
                {body or "pass"}
                if not Path({str(marker)!r}).exists():
                    raise RuntimeError("not yet")
                return n + 1

            if __name__ == "__main__":
                job(41, return_state=True)
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script)], timeout=120, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    (run,) = get_store().read_flow_runs()
    assert run.state_type == "FAILED"
    return run, marker


def test_retry_proposes_awaiting_retry_then_claims(store: Store, tmp_path: Path) -> None:
    from headwater._flow_retry import retry_flow_run

    run, marker = _failed_script_run(tmp_path)
    marker.touch()
    assert retry_flow_run(run.id).result() == 42
    done = store.read_flow_run(run.id)
    assert (done.state_type, done.run_count) == ("COMPLETED", 2)
    assert done.start_time == pytest.approx(run.start_time)  # the first start is kept
    assert _history(store, run.id) == [
        ("PENDING", "Pending"),
        ("RUNNING", "Running"),
        ("FAILED", "Failed"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Running"),
        ("COMPLETED", "Completed"),
    ]


def test_retry_refuses_when_another_client_claimed_first(store: Store, tmp_path: Path) -> None:
    from headwater._flow_retry import RetryRefused, _claim

    run, _ = _failed_script_run(tmp_path)
    stale = store.read_flow_run(run.id)  # what a racing retry read: Failed
    _propose(store, run.id, "SCHEDULED", "AwaitingRetry")
    assert _propose(store, run.id, "RUNNING").status == "ACCEPT"  # someone else claimed it
    with pytest.raises(RetryRefused, match=f"{run.id}.*Running"):
        _claim(store, stale)
    history = _history(store, run.id)
    assert [t for t, _ in history].count("RUNNING") == 2  # the original run and the other claim


@pytest.mark.slow
def test_two_cli_retries_racing_exactly_one_runs(store: Store, tmp_path: Path) -> None:
    run, marker = _failed_script_run(tmp_path, body="time.sleep(1.5)")
    marker.touch()
    procs = [
        subprocess.Popen(
            [str(Path(sys.executable).parent / "headwater"), "flow-run", "retry", run.id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append((proc.returncode, out + err))
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0, results
    assert codes[1] != 0, results
    loser = next(text for code, text in results if code != 0)
    assert run.id[:8] in loser or run.name in loser
    assert "retried" in loser or "Running" in loser
    done = store.read_flow_run(run.id)
    assert (done.state_type, done.run_count) == ("COMPLETED", 2)
    assert [t for t, _ in _history(store, run.id)].count("RUNNING") == 2


# -- flows ---------------------------------------------------------------------------------


def test_read_flows_by_name_and_one_flow(store: Store) -> None:
    for name in ("zeta", "alpha", "zeta", "mid"):
        store.create_flow_run(flow_run(flow_name=name))
    flows = store.read_flows()
    assert [f.name for f in flows] == ["alpha", "mid", "zeta"]
    assert len({f.id for f in flows}) == 3
    assert store.read_flow("mid") == flows[1]
    with pytest.raises(ObjectNotFound, match="'nope'"):
        store.read_flow("nope")


# -- time ranges, sort, counts ---------------------------------------------------------------


def _timed_runs(store: Store) -> dict[str, FlowRunRecord]:
    """Four runs created t0 < t1 < t2 < t3; b started late, d never started."""
    base = time.time() - 1000
    runs = {
        "a": flow_run(name="a", created=base, start_time=base + 10),
        "b": flow_run(name="b", created=base + 1, start_time=base + 500, tags=["x", "y"]),
        "c": flow_run(name="c", created=base + 2, start_time=base + 20, tags=["x"]),
        "d": flow_run(name="d", created=base + 300, state_type="SCHEDULED", state_name="Late"),
    }
    for run in runs.values():
        store.create_flow_run(run)
    store.flush()
    return runs


def _names(runs: list[FlowRunRecord]) -> list[str]:
    return [r.name for r in runs]


def test_flow_run_time_ranges_sorts_and_counts(store: Store) -> None:
    runs = _timed_runs(store)
    base = runs["a"].created
    assert _names(store.read_flow_runs()) == ["d", "c", "b", "a"]
    assert _names(store.read_flow_runs(sort="created_asc")) == ["a", "b", "c", "d"]
    # start time, or creation time for d (not started): a 10, c 20, d 300, b 500
    assert _names(store.read_flow_runs(sort="start_time_asc")) == ["a", "c", "d", "b"]
    assert _names(store.read_flow_runs(sort="start_time_desc")) == ["b", "d", "c", "a"]
    assert _names(store.read_flow_runs(sort="name_asc", limit=2, offset=1)) == ["b", "c"]

    window = {"start_after": base + 15, "start_before": base + 400}
    assert _names(store.read_flow_runs(**window)) == ["d", "c"]
    assert store.count_flow_runs(**window) == 2
    assert _names(store.read_flow_runs(start_after=base + 10, start_before=base + 10)) == ["a"]
    created = {"created_after": base + 1, "created_before": base + 2}
    assert _names(store.read_flow_runs(**created)) == ["c", "b"]
    assert store.count_flow_runs(**created, tags=["y"]) == 1
    assert store.count_flow_runs(state_names=["Late"]) == 1
    assert store.count_flow_runs() == 4
    assert store.count_flow_runs(flow_name="etl", tags=["x"]) == 2

    with pytest.raises(ConfigurationError, match="`sort`"):
        store.read_flow_runs(sort="newest")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="`start_after`"):
        store.read_flow_runs(start_after="yesterday")  # type: ignore[arg-type]


def test_task_run_filters_tags_time_and_sort(store: Store) -> None:
    parent = flow_run()
    other = flow_run()
    store.create_flow_run(parent)
    store.create_flow_run(other)
    base = time.time() - 1000
    specs = [
        ("t1", parent.id, base, base + 50, ["db", "slow"], "COMPLETED", "Completed"),
        ("t2", parent.id, base + 1, None, ["db"], "PENDING", "Pending"),
        ("t3", parent.id, base + 2, base + 5, [], "FAILED", "TimedOut"),
        ("t4", other.id, base + 3, base + 10, ["db", "slow"], "COMPLETED", "Cached"),
    ]
    for name, fr, created, start, tags, st, sn in specs:
        store.create_task_run(
            task_run(
                fr,
                name=name,
                created=created,
                start_time=start,
                tags=tags,
                state_type=st,
                state_name=sn,
            )
        )
    store.flush()

    def names(**kw: object) -> list[str]:
        return [t.name for t in store.read_task_runs(**kw)]  # type: ignore[arg-type]

    assert names() == ["t1", "t2", "t3", "t4"]
    assert names(sort="created_desc") == ["t4", "t3", "t2", "t1"]
    assert names(sort="start_time_asc") == ["t2", "t3", "t4", "t1"]  # t2 not started: created
    assert names(tags=["db"]) == ["t1", "t2", "t4"]
    assert names(tags=["db", "slow"]) == ["t1", "t4"]
    assert names(tags=["db", "slow"], flow_run_id=parent.id) == ["t1"]
    assert names(tags=["nope"]) == []
    assert names(state_names=["TimedOut", "Cached"]) == ["t3", "t4"]
    assert names(start_after=base + 4, start_before=base + 20) == ["t3", "t4"]
    assert names(created_after=base + 1, limit=2, offset=1) == ["t3", "t4"]
    assert store.count_task_runs() == 4
    assert store.count_task_runs(flow_run_id=parent.id) == 3
    assert store.count_task_runs(tags=["slow"], state_types=["COMPLETED"]) == 2
    assert store.count_task_runs(start_after=base + 4, flow_run_id=parent.id) == 2


# -- schema v4 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_v3_database_upgrades_keeping_its_runs(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from headwater._store.database import Database
    from headwater._store.dialects import dialect_for_url
    from headwater._store.migrations import current_version
    from headwater._store.schema import MIGRATIONS
    from headwater._store.sql import SqlStore

    url = (
        f"sqlite:///{tmp_path / 'v3.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    real = "REAL" if backend == "sqlite" else "DOUBLE PRECISION"
    old = Database(dialect_for_url(url))
    run_id, state_id = new_id(), new_id()

    def make_v3(tx: Database) -> None:
        tx.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            f" applied {real} NOT NULL)"
        )
        for migration in MIGRATIONS[:3]:
            for statement in migration.statements(tx.dialect.name):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
        tx.execute(
            "INSERT INTO flow_runs (id, flow_name, name, created, state_type, state_name)"
            " VALUES (?, 'etl', 'old-run', ?, 'FAILED', 'Failed')",
            (run_id, time.time()),
        )
        tx.execute(
            "INSERT INTO states (id, run_id, run_kind, type, name, timestamp)"
            " VALUES (?, ?, 'flow', 'FAILED', 'Failed', ?)",
            (state_id, run_id, time.time()),
        )

    old.transaction(make_v3)
    assert current_version(old) == 3
    old.close()

    store = SqlStore(url)
    try:
        assert current_version(store._db) == 4
        assert [s.id for s in store.read_states(run_id)] == [state_id]
        rejected = _propose(store, run_id, "RUNNING")
        assert (rejected.status, rejected.state_id) == ("REJECT", state_id)
        first = _propose(store, run_id, "SCHEDULED", "AwaitingRetry", transition_id="t")
        assert _propose(store, run_id, "SCHEDULED", "AwaitingRetry", transition_id="t") == (
            TransitionResult("ACCEPT", "SCHEDULED", "AwaitingRetry", first.state_id, None, True)
        )
    finally:
        store.close()


def test_store_state_types_match_the_state_enum() -> None:
    """The store names state types with its own strings; they must stay the enum's."""
    assert {t.value for t in StateType} == STATE_TYPES
    assert {t.value for t in StateType if t.is_final} == FINAL_STATE_TYPES
    assert all(targets <= STATE_TYPES for targets in ALLOWED_TRANSITIONS.values())
