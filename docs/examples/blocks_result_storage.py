"""Persist results through a saved LocalFileSystem block and read them anywhere."""

from __future__ import annotations

import tempfile

from headwater import flow, task
from headwater.blocks import LocalFileSystem
from headwater.results import read_result_record

storage_folder = tempfile.mkdtemp(prefix="headwater-results-")
LocalFileSystem(basepath=storage_folder).save("results", overwrite=True)


@task(persist_result=True, result_storage="local-file-system/results")
def summarize(rows: list[int]) -> dict[str, int]:
    return {"count": len(rows), "total": sum(rows)}


@flow(persist_result=True, result_storage="local-file-system/results")
def daily_summary() -> dict[str, int]:
    return summarize([3, 4, 5])


if __name__ == "__main__":
    state = daily_summary(return_state=True)
    key = state.result_key
    print(key)  # block://local-file-system/results#<id>: any process can read it
    assert key is not None
    assert key.startswith("block://local-file-system/results#")
    assert read_result_record(key) == {"count": 3, "total": 12}
