"""headwater._flow_retry.retry_flow_run: same id, run_count + 1, cached task results reused."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from headwater._flow_retry import RetryRefused, retry_flow_run
from headwater._store import get_store
from headwater.errors import ObjectNotFound

from . import retry_flows


@pytest.mark.usefixtures("store_url")
def test_retry_reuses_persisted_results_and_keeps_the_id(tmp_path: Path) -> None:
    retry_flows.CALLS.clear()
    marker = tmp_path / "marker"
    state = retry_flows.pipeline(2, str(marker), return_state=True)
    assert state.is_failed()
    (run,) = get_store().read_flow_runs()
    assert run.entrypoint == f"{retry_flows.__name__}:pipeline"
    assert retry_flows.CALLS == ["expensive-2", "flaky"]

    marker.touch()
    new_state = retry_flow_run(run.id)
    assert new_state.is_completed()
    assert new_state.result() == "ok-20"
    assert retry_flows.CALLS == [
        "expensive-2",
        "flaky",
        "flaky",
    ]  # expensive came from its persisted result
    again = get_store().read_flow_run(run.id)
    assert again.state_type == "COMPLETED"
    assert again.run_count == 2
    assert get_store().count_flow_runs() == 1
    task_runs = get_store().read_task_runs(flow_run_id=run.id)
    expensive_runs = [t for t in task_runs if t.name.startswith("expensive")]
    assert len(expensive_runs) == 2
    assert {t.dynamic_key for t in expensive_runs} == {"0"}
    assert len({t.task_key for t in expensive_runs}) == 1
    assert sorted(t.state_name for t in expensive_runs) == ["Cached", "Completed"]


def test_retry_refuses_completed_runs_and_unknown_ids(tmp_path: Path) -> None:
    marker = tmp_path / "m"
    marker.touch()
    retry_flows.pipeline(1, str(marker))
    (run,) = get_store().read_flow_runs()
    with pytest.raises(RetryRefused, match="Completed"):
        retry_flow_run(run.id)
    with pytest.raises(ObjectNotFound):
        retry_flow_run("f" * 32)


def test_retry_refuses_non_json_parameters() -> None:
    retry_flows.takes_object(object(), return_state=True)
    (run,) = get_store().read_flow_runs()
    with pytest.raises(RetryRefused, match="'obj'"):
        retry_flow_run(run.id)


def test_retry_of_a_script_run_as_main(tmp_path: Path, headwater_home: Path) -> None:
    script = tmp_path / "job.py"
    marker = tmp_path / "ok"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from headwater import flow

            @flow
            def job(n: int) -> int:
                if not Path({str(marker)!r}).exists():
                    raise RuntimeError("not yet")
                return n + 1

            if __name__ == "__main__":
                job(41, return_state=True)
            """
        )
    )
    subprocess.run([sys.executable, str(script)], check=True, timeout=120, capture_output=True)
    (run,) = get_store().read_flow_runs()
    assert run.state_type == "FAILED"
    assert run.entrypoint == f"{script}:job"
    marker.touch()
    state = retry_flow_run(run.id)
    assert state.result() == 42
    assert get_store().read_flow_run(run.id).run_count == 2
