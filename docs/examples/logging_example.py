"""Run logs: get_run_logger() and log_prints.

Log lines written through the run logger go to the console and to the store,
tagged with the flow run and task run they belong to; ``headwater flow-run
logs ID`` reads them back. With ``log_prints=True``, ``print`` inside the run
is logged too (at INFO).
"""

from __future__ import annotations

import json
import subprocess
import sys

from headwater import flow, get_run_logger, task


@task
def clean(rows: list[int]) -> list[int]:
    logger = get_run_logger()
    kept = [r for r in rows if r >= 0]
    if len(kept) < len(rows):
        logger.warning("dropped %d negative rows", len(rows) - len(kept))
    return kept


@task(log_prints=False)
def quiet_sum(rows: list[int]) -> int:
    print("this print is not captured: log_prints=False on the task")
    return sum(rows)


@flow(log_prints=True)
def ingest(rows: list[int]) -> int:
    get_run_logger().info("ingesting %d rows", len(rows))
    total = quiet_sum(clean(rows))
    print(f"total is {total}")  # logged, because the flow has log_prints=True
    return total


if __name__ == "__main__":
    state = ingest([3, -1, 4, -1, 5], return_state=True)
    assert state.result() == 12

    logs = subprocess.run(
        [
            sys.executable,
            "-m",
            "headwater.cli",
            "flow-run",
            "logs",
            str(state.flow_run_id),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = {
        (line["run_name"], line["level_name"], line["message"]) for line in json.loads(logs.stdout)
    }
    flow_run_name = next(name for name, _, message in lines if message == "ingesting 5 rows")
    assert ("clean-0", "WARNING", "dropped 2 negative rows") in lines
    assert (flow_run_name, "INFO", "total is 12") in lines
    assert not any("not captured" in message for _, _, message in lines)
    for name, level, message in sorted(lines):
        print(f"{level:8} {name:20} {message}")
