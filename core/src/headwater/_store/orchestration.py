"""Orchestration rules for flow-run state changes, and the one transaction that applies them.

A client (the CLI's ``flow-run retry``, a worker, another server replica, any
HTTP client) *proposes* a state for a flow run; the store accepts or rejects it
by these rules, in this order:

1. An unknown run (full id) is :class:`~headwater.errors.ObjectNotFound`.
2. A ``transition_id`` already accepted for this run is a replay: the first
   outcome is returned (``duplicate=True``) and nothing is written.
3. ``force`` accepts anything (the server allows it to admins only).
4. A final run (Completed, Failed, Crashed, Cancelled) may only be moved to
   SCHEDULED (e.g. ``AwaitingRetry``, to retry it); nothing else.
5. RUNNING is accepted only from SCHEDULED, PENDING or PAUSED. The check and
   the write are one atomic step, so of two clients racing to start the same
   run exactly one is accepted (claim-once); RUNNING -> RUNNING is rejected.
6. CANCELLING is accepted only from RUNNING.
7. Otherwise the move must be in this table (current state -> proposed):

   ============  =====================================================================
   current       may become
   ============  =====================================================================
   SCHEDULED     SCHEDULED, PENDING, RUNNING, PAUSED, CANCELLED, FAILED, CRASHED
   PENDING       SCHEDULED, RUNNING, PAUSED, CANCELLED, FAILED, CRASHED
   RUNNING       PAUSED, CANCELLING, COMPLETED, FAILED, CRASHED, CANCELLED
   PAUSED        SCHEDULED, PENDING, RUNNING, CANCELLED, FAILED, CRASHED
   CANCELLING    COMPLETED, FAILED, CRASHED, CANCELLED
   final         SCHEDULED
   ============  =====================================================================

A Running run cannot be put back to SCHEDULED by a proposal: otherwise a
second ``flow-run retry`` arriving after the first one claimed the run would
reschedule it and claim it again. (The engine's retries between attempts of a
run it is running are written on its own buffered path, not proposed.)

An accepted state is appended to the run's history (with its transition id)
and made current: ``start_time`` is set on the run's first RUNNING,
``run_count`` goes up by one on every RUNNING, ``end_time`` is set on a final
state (and cleared on leaving one). An accepted RUNNING also forgets the
process that ran the run before (``pid``/``hostname``) and counts as a
heartbeat: the store cannot know which process claimed the run, so until that
process says otherwise crash detection goes by heartbeats alone.

On PostgreSQL the run's row is locked ``FOR UPDATE`` for the transaction; on
SQLite ``BEGIN IMMEDIATE`` makes it exclusive. The engine's own runs do not go
through here: it records the states of runs it created on its buffered path.
"""

from __future__ import annotations

from headwater._store.database import Database
from headwater._store.ops import FINAL_STATE_TYPES, text
from headwater._store.records import StateRecord, TransitionResult
from headwater.errors import ConfigurationError, ObjectNotFound

__all__ = ["ALLOWED_TRANSITIONS", "STATE_TYPES", "apply_proposal", "check_state_type", "decide"]

_FINAL_TARGETS = frozenset({"SCHEDULED"})
_CLAIMABLE = frozenset({"SCHEDULED", "PENDING", "PAUSED"})

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "SCHEDULED": frozenset(
        {"SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLED", "FAILED", "CRASHED"}
    ),
    "PENDING": frozenset({"SCHEDULED", "RUNNING", "PAUSED", "CANCELLED", "FAILED", "CRASHED"}),
    "RUNNING": frozenset({"PAUSED", "CANCELLING", "COMPLETED", "FAILED", "CRASHED", "CANCELLED"}),
    "PAUSED": frozenset({"SCHEDULED", "PENDING", "RUNNING", "CANCELLED", "FAILED", "CRASHED"}),
    "CANCELLING": frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}),
    **{final: _FINAL_TARGETS for final in FINAL_STATE_TYPES},
}
"""Current state type -> the state types a proposal may move it to (rule 7 above)."""

STATE_TYPES = frozenset(ALLOWED_TRANSITIONS)
"""Every state type a proposal may name: the store's own strings, kept equal to
``headwater.states.StateType`` by a test (the store sits below states)."""


def decide(
    run_label: str,
    current_type: str,
    current_name: str,
    proposed_type: str,
    proposed_name: str,
) -> str | None:
    """``None`` when the rules accept the move, else why not (naming the run and both states).

    ``run_label`` names the run in the reason, e.g. ``"'brave-otter' (0f3c...)"``.
    Pure: the caller holds whatever lock makes the answer still true when it writes.
    """
    if current_type in FINAL_STATE_TYPES:
        if proposed_type in _FINAL_TARGETS:
            return None
        return (
            f"flow run {run_label} is {current_name} (final); it cannot become "
            f"{proposed_name}. Retry it (a SCHEDULED 'AwaitingRetry' state) or force "
            "the transition."
        )
    if proposed_type == "RUNNING":
        if current_type in _CLAIMABLE:
            return None
        if current_type == "RUNNING":
            also = "" if current_name == "Running" else f" (as {current_name!r})"
            return (
                f"flow run {run_label} is already Running{also}; it cannot be claimed "
                f"again as {proposed_name}"
            )
        return (
            f"flow run {run_label} is {current_name} ({current_type}); only a Scheduled, "
            f"Pending or Paused run can become {proposed_name}"
        )
    if proposed_type == "CANCELLING" and current_type != "RUNNING":
        return (
            f"flow run {run_label} is {current_name} ({current_type}); only a Running run "
            f"can become {proposed_name}"
        )
    if proposed_type in ALLOWED_TRANSITIONS.get(current_type, frozenset()):
        return None
    return (
        f"flow run {run_label} cannot go from {current_name} ({current_type}) to "
        f"{proposed_name} ({proposed_type})"
    )


def check_state_type(state: StateRecord) -> str:
    """The proposal's state type as plain text; ConfigurationError naming ``state.type``."""
    value = text(state.type)
    if value not in STATE_TYPES:
        raise ConfigurationError(
            f"`state.type` {value!r} is not a state type; use one of {', '.join(sorted(STATE_TYPES))}"
        )
    return str(value)


_INSERT_STATE = (
    "INSERT INTO states (id, run_id, run_kind, type, name, timestamp, message, result_key,"
    " cache_key, transition_id) VALUES (?, ?, 'flow', ?, ?, ?, ?, ?, ?, ?)"
)
_CURRENT_STATE_ID = (
    "SELECT id FROM states WHERE run_id = ? ORDER BY timestamp DESC, seq DESC LIMIT 1"
)


def apply_proposal(
    db: Database,
    run_id: str,
    state: StateRecord,
    *,
    transition_id: str | None,
    force: bool,
) -> TransitionResult:
    """Decide ``state`` for the flow run ``run_id`` (full id) and write it if accepted,
    in one transaction (see the module docstring for the rules)."""
    proposed_type = check_state_type(state)

    def propose(tx: Database) -> TransitionResult:
        row = tx.execute(
            f"SELECT name, state_type, state_name FROM flow_runs WHERE id = ?{tx.dialect.for_update}",
            (run_id,),
        ).fetchone()
        if row is None:
            raise ObjectNotFound(f"no flow run with id {run_id!r}")
        name, current_type, current_name = row
        if transition_id is not None:
            prior = tx.execute(
                "SELECT id, type, name FROM states WHERE run_id = ? AND transition_id = ?",
                (run_id, transition_id),
            ).fetchone()
            if prior is not None:
                return TransitionResult("ACCEPT", prior[1], prior[2], prior[0], duplicate=True)
        reason = (
            None
            if force
            else decide(
                f"{name!r} ({run_id})", current_type, current_name, proposed_type, state.name
            )
        )
        if reason is not None:
            current = tx.execute(_CURRENT_STATE_ID, (run_id,)).fetchone()
            return TransitionResult(
                "REJECT",
                current_type,
                current_name,
                current[0] if current is not None else None,
                reason=reason,
            )
        ts = state.timestamp
        tx.execute(
            _INSERT_STATE,
            (
                state.id,
                run_id,
                proposed_type,
                state.name,
                ts,
                state.message,
                state.result_key,
                state.cache_key,
                transition_id,
            ),
        )
        if proposed_type == "RUNNING":
            tx.execute(
                "UPDATE flow_runs SET state_type = ?, state_name = ?, state_message = ?,"
                " start_time = COALESCE(start_time, ?), end_time = NULL,"
                " run_count = run_count + 1, pid = NULL, hostname = NULL, heartbeat = ?"
                " WHERE id = ?",
                (proposed_type, state.name, state.message, ts, ts, run_id),
            )
        else:
            final = proposed_type in FINAL_STATE_TYPES
            tx.execute(
                "UPDATE flow_runs SET state_type = ?, state_name = ?, state_message = ?,"
                " end_time = ? WHERE id = ?",
                (proposed_type, state.name, state.message, ts if final else None, run_id),
            )
        return TransitionResult("ACCEPT", proposed_type, state.name, state.id)

    return db.write(propose)
