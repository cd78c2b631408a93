"""Tag concurrency limits and slots, including across processes."""

from __future__ import annotations

import textwrap

import pytest
from store_factories import run_python, start_python

from headwater._store import Store, get_store
from headwater.errors import ConfigurationError, ObjectNotFound


@pytest.fixture
def store(store_url: str) -> Store:
    return get_store()


def test_create_read_update_delete_limits(store: Store) -> None:
    created = store.create_concurrency_limit("db", 2)
    assert (created.tag, created.limit, created.active_slots) == ("db", 2, [])
    store.create_concurrency_limit("api", 5)
    updated = store.create_concurrency_limit("db", 3)  # upsert keeps the creation time
    assert (updated.limit, updated.created) == (3, created.created)
    assert [(lim.tag, lim.limit) for lim in store.read_concurrency_limits()] == [
        ("api", 5),
        ("db", 3),
    ]
    store.delete_concurrency_limit("db")
    with pytest.raises(ObjectNotFound, match="'db'"):
        store.read_concurrency_limit("db")
    with pytest.raises(ObjectNotFound, match="'db'"):
        store.delete_concurrency_limit("db")


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True, None])
def test_limit_must_be_a_non_negative_int(store: Store, bad: object) -> None:
    with pytest.raises(ConfigurationError, match="`limit`"):
        store.create_concurrency_limit("db", bad)  # type: ignore[arg-type]
    with pytest.raises(ObjectNotFound):
        store.read_concurrency_limit("db")


def test_limit_two_refuses_a_third_holder_until_release(store: Store) -> None:
    store.create_concurrency_limit("db", 2)
    assert store.try_acquire_concurrency_slots(["db"], "t1")
    assert store.try_acquire_concurrency_slots(["db"], "t2")
    assert not store.try_acquire_concurrency_slots(["db"], "t3")
    assert store.try_acquire_concurrency_slots(["db"], "t1")  # a holder asking again keeps its slot
    assert sorted(store.read_concurrency_limit("db").active_slots) == ["t1", "t2"]
    store.release_concurrency_slots("t1")
    assert store.try_acquire_concurrency_slots(["db"], "t3")
    assert sorted(store.read_concurrency_limit("db").active_slots) == ["t2", "t3"]


def test_all_or_nothing_and_unlimited_tags_ignored(store: Store) -> None:
    store.create_concurrency_limit("a", 1)
    store.create_concurrency_limit("b", 1)
    assert store.try_acquire_concurrency_slots(["b"], "first")
    assert not store.try_acquire_concurrency_slots(["a", "b", "free"], "second")
    assert store.read_concurrency_limit("a").active_slots == []  # nothing taken on refusal
    assert store.try_acquire_concurrency_slots(["free", "other"], "third")  # no limits at all
    assert store.try_acquire_concurrency_slots([], "fourth")
    store.create_concurrency_limit("zero", 0)
    assert not store.try_acquire_concurrency_slots(["zero"], "fifth")


def test_slot_of_a_dead_process_is_reclaimed(store: Store) -> None:
    store.create_concurrency_limit("db", 1)
    proc = run_python(
        textwrap.dedent(
            """
            from headwater._store import get_store
            assert get_store().try_acquire_concurrency_slots(["db"], "dead-holder")
            """
        )
    )
    assert proc.returncode == 0, proc.stderr
    # the holder exited without releasing: its slot is reclaimed, not leaked
    assert store.try_acquire_concurrency_slots(["db"], "alive")
    assert store.read_concurrency_limit("db").active_slots == ["alive"]


_RACER = textwrap.dedent(
    """
    import os, sys, time
    from headwater._store import get_store
    store = get_store()
    print("ready", flush=True)
    sys.stdin.readline()
    got = []
    deadline = time.monotonic() + 60
    i = 0
    # Keep racing until this process has held the slot 10 times: a fixed number of
    # tries can all lose on a loaded machine, which says nothing about the limit.
    while len(got) < 10 and time.monotonic() < deadline:
        i += 1
        holder = f"{os.getpid()}-{i}"
        if store.try_acquire_concurrency_slots(["db"], holder):
            n = len(store.read_concurrency_limit("db").active_slots)
            got.append(n)
            store.release_concurrency_slots(holder)
        else:
            time.sleep(0.001)
    print("max", max(got, default=0), "count", len(got), flush=True)
    """
)


def test_two_processes_racing_never_exceed_the_limit(store: Store) -> None:
    store.create_concurrency_limit("db", 1)
    procs = []
    for _ in range(2):
        procs.append(start_python(_RACER))
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        words = out.split()
        assert words[words.index("max") + 1] == "1", out  # never saw two holders of a 1-slot limit
    assert [int(out.split()[-1]) for out, _ in outputs] == [10, 10]  # both really took part
    assert store.read_concurrency_limit("db").active_slots == []
