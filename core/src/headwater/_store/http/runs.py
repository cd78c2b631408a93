"""Flow runs, task runs, states and logs over HTTP: the reads and the direct writes.

Reads go to ``/api/store/...`` (the Store's exact semantics) after this
process's buffered writes reached the server, as on the embedded store; a run
listing's :class:`~headwater._store.filters.RunFilter` travels as its
:meth:`~headwater._store.filters.RunFilter.to_query` parameters.
Cancelling, deleting and crash marking go to the flow-run action routes;
state proposals to ``/api/store/flow_runs/{id}/propose_state`` (the client's state record).
"""

from __future__ import annotations

from urllib.parse import quote

from headwater._store.filters import RunFilter
from headwater._store.http._part import HttpPart
from headwater._store.http.codec import record_from_json, record_json
from headwater._store.records import (
    FlowRecord,
    FlowRunRecord,
    LogRecord,
    StateRecord,
    TaskRunRecord,
    TransitionResult,
)

__all__ = ["HttpRunsMixin"]


def _seg(value: str) -> str:
    """``value`` as one path segment."""
    return quote(value, safe="")


class HttpRunsMixin(HttpPart):
    """The run-related :class:`~headwater._store.base.Store` methods over HTTP."""

    # -- flow runs ---------------------------------------------------------------
    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        self._sync()
        data = self._http.request("GET", f"/store/flow_runs/{_seg(flow_run_id)}")
        return record_from_json(FlowRunRecord, data)

    def _select_flow_runs(self, where: RunFilter) -> list[FlowRunRecord]:
        self._sync()
        rows = self._http.request("GET", "/store/flow_runs", params=where.to_query())
        return [record_from_json(FlowRunRecord, r) for r in rows]

    def _count_flow_runs(self, where: RunFilter) -> int:
        self._sync()
        data = self._http.request("GET", "/store/flow_runs/count", params=where.to_query())
        return int(data["count"])

    def delete_flow_run(self, flow_run_id: str) -> None:
        self._sync()
        self._http.request("DELETE", f"/flow_runs/{_seg(flow_run_id)}")

    def mark_crashed_runs(self) -> list[str]:
        self._sync()
        data = self._http.request("POST", "/flow_runs/mark_crashed")
        return [str(i) for i in data["flow_run_ids"]]

    def cancel_flow_run(self, flow_run_id: str) -> str:
        self._sync()
        data = self._http.request("POST", f"/flow_runs/{_seg(flow_run_id)}/cancel")
        return str(data["state_type"])

    def read_flow_run_state_type(self, flow_run_id: str) -> str:
        self._check_open()
        data = self._http.request("GET", f"/flow_runs/{_seg(flow_run_id)}/state_type")
        return str(data["state_type"])

    def propose_flow_run_state(
        self,
        flow_run_id: str,
        state: StateRecord,
        *,
        transition_id: str | None = None,
        force: bool = False,
    ) -> TransitionResult:
        self._sync()
        body = {"state": record_json(state), "transition_id": transition_id, "force": force}
        path = f"/store/flow_runs/{_seg(flow_run_id)}/propose_state"
        data = self._http.request("POST", path, json=body)
        return record_from_json(TransitionResult, data)

    # -- flows -------------------------------------------------------------------
    def read_flows(self) -> list[FlowRecord]:
        self._sync()
        return [record_from_json(FlowRecord, r) for r in self._http.request("GET", "/flows")]

    def read_flow(self, name: str) -> FlowRecord:
        self._sync()
        return record_from_json(FlowRecord, self._http.request("GET", f"/flows/{_seg(name)}"))

    # -- task runs, states, logs -----------------------------------------------
    def _select_task_runs(self, where: RunFilter) -> list[TaskRunRecord]:
        self._sync()
        rows = self._http.request("GET", "/store/task_runs", params=where.to_query())
        return [record_from_json(TaskRunRecord, r) for r in rows]

    def read_task_run(self, task_run_id: str) -> TaskRunRecord:
        self._sync()
        data = self._http.request("GET", f"/store/task_runs/{_seg(task_run_id)}")
        return record_from_json(TaskRunRecord, data)

    def _count_task_runs(self, where: RunFilter) -> int:
        self._sync()
        data = self._http.request("GET", "/store/task_runs/count", params=where.to_query())
        return int(data["count"])

    def read_states(self, run_id: str) -> list[StateRecord]:
        self._sync()
        rows = self._http.request("GET", f"/store/states/{_seg(run_id)}")
        return [record_from_json(StateRecord, r) for r in rows]

    def read_logs(
        self,
        *,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        min_level: int = 0,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[LogRecord]:
        self._sync()
        given = {
            "flow_run_id": flow_run_id,
            "task_run_id": task_run_id,
            "min_level": min_level,
            "limit": limit,
            "offset": offset,
        }
        params = {k: v for k, v in given.items() if v is not None}
        rows = self._http.request("GET", "/store/logs", params=params)
        return [record_from_json(LogRecord, r) for r in rows]
