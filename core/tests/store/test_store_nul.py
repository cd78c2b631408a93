"""Text holding NUL characters is recorded, never failing a batch (PostgreSQL refuses NUL in
text, so the store replaces it with U+FFFD there; SQLite keeps it)."""

from __future__ import annotations

from headwater import flow, task
from headwater._store import get_store


def test_a_flow_that_prints_binary_data_is_fully_recorded(store_url: str) -> None:
    @task
    def emit() -> str:
        print("bin\x00ary")
        return "ok"

    @flow(log_prints=True)
    def nul_flow(label: str = "p\x00q") -> str:
        print("x\x00y")
        return emit()

    assert nul_flow() == "ok"
    store = get_store()
    store.flush()
    (run,) = store.read_flow_runs()
    assert run.state_type == "COMPLETED"
    assert run.parameters["label"] in {"p\x00q", "p\ufffdq"}
    messages = [line.message for line in store.read_logs(flow_run_id=run.id)]
    replacement = "\ufffd" if store_url.startswith("postgres") else "\x00"
    assert f"x{replacement}y" in messages
    assert f"bin{replacement}ary" in messages
    assert store.read_task_runs(flow_run_id=run.id)[0].state_type == "COMPLETED"
