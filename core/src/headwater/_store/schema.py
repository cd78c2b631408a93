"""The store's schema as an ordered list of migrations.

Each :class:`Migration` holds its statements per dialect (they differ only in
column types and auto-numbered keys). Add a change by appending a migration
with the next version; never edit one that has shipped.

Times are float epoch seconds (REAL / double precision). JSON fields are text.
Indexes serve the reads of the Store interface and nothing more: every index
on ``task_runs`` and ``states`` is paid for on the engine's hot path (task runs
are read by flow run, states by run id).
Flow runs and task runs keep their insertion order (SQLite ``rowid``,
PostgreSQL ``seq``) so ties in ``created`` still read back in creation order.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration"]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]

    def statements(self, dialect_name: str) -> tuple[str, ...]:
        return self.sqlite if dialect_name == "sqlite" else self.postgresql


_V1 = """
CREATE TABLE flows (
    name TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created {real} NOT NULL
);
CREATE TABLE flow_runs (
    {rowseq}
    id TEXT PRIMARY KEY,
    flow_name TEXT NOT NULL,
    name TEXT NOT NULL,
    created {real} NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{{}}',
    tags TEXT NOT NULL DEFAULT '[]',
    parent_flow_run_id TEXT,
    parent_task_run_id TEXT,
    state_type TEXT NOT NULL,
    state_name TEXT NOT NULL,
    state_message TEXT,
    start_time {real},
    end_time {real},
    run_count INTEGER NOT NULL DEFAULT 0,
    entrypoint TEXT,
    flow_version TEXT,
    pid INTEGER,
    hostname TEXT,
    heartbeat {real}
);
CREATE INDEX ix_flow_runs_created ON flow_runs (created);
CREATE INDEX ix_flow_runs_state_type ON flow_runs (state_type);
CREATE INDEX ix_flow_runs_flow_name ON flow_runs (flow_name, created);
CREATE INDEX ix_flow_runs_parent ON flow_runs (parent_flow_run_id);
CREATE TABLE flow_run_tags (
    flow_run_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (flow_run_id, tag)
);
CREATE INDEX ix_flow_run_tags_tag ON flow_run_tags (tag);
CREATE TABLE task_runs (
    {rowseq}
    id TEXT PRIMARY KEY,
    flow_run_id TEXT,
    task_key TEXT NOT NULL,
    dynamic_key TEXT NOT NULL,
    name TEXT NOT NULL,
    created {real} NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    task_inputs TEXT NOT NULL DEFAULT '{{}}',
    wait_for TEXT NOT NULL DEFAULT '[]',
    state_type TEXT NOT NULL,
    state_name TEXT NOT NULL,
    state_message TEXT,
    start_time {real},
    end_time {real},
    run_count INTEGER NOT NULL DEFAULT 0,
    cache_key TEXT,
    result_key TEXT
);
CREATE INDEX ix_task_runs_flow_run_id ON task_runs (flow_run_id, created);
CREATE TABLE states (
    seq {seq_pk},
    id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    run_kind TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    timestamp {real} NOT NULL,
    message TEXT,
    result_key TEXT,
    cache_key TEXT
);
CREATE INDEX ix_states_run_id ON states (run_id, timestamp);
CREATE TABLE logs (
    seq {seq_pk},
    flow_run_id TEXT,
    task_run_id TEXT,
    level INTEGER NOT NULL,
    name TEXT NOT NULL,
    message TEXT NOT NULL,
    timestamp {real} NOT NULL
);
CREATE INDEX ix_logs_flow_run_id ON logs (flow_run_id, timestamp);
CREATE INDEX ix_logs_task_run_id ON logs (task_run_id);
CREATE TABLE concurrency_limits (
    tag TEXT PRIMARY KEY,
    slot_limit INTEGER NOT NULL CHECK (slot_limit >= 0),
    created {real} NOT NULL
);
CREATE TABLE concurrency_slots (
    tag TEXT NOT NULL,
    holder_id TEXT NOT NULL,
    pid INTEGER,
    hostname TEXT,
    acquired {real} NOT NULL,
    PRIMARY KEY (tag, holder_id)
);
CREATE INDEX ix_concurrency_slots_holder ON concurrency_slots (holder_id)
"""

_V2 = """
CREATE TABLE block_documents (
    id TEXT PRIMARY KEY,
    block_type_slug TEXT NOT NULL,
    name TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    created {real} NOT NULL,
    updated {real} NOT NULL,
    UNIQUE (block_type_slug, name)
)
"""

_V3 = """
CREATE TABLE variables (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    created {real} NOT NULL,
    updated {real} NOT NULL
);
CREATE TABLE artifacts (
    id TEXT PRIMARY KEY,
    key TEXT,
    version INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('markdown', 'table', 'link')),
    data TEXT NOT NULL,
    description TEXT,
    flow_run_id TEXT,
    task_run_id TEXT,
    created {real} NOT NULL
);
CREATE UNIQUE INDEX ux_artifacts_key_version ON artifacts (key, version) WHERE key IS NOT NULL;
CREATE INDEX ix_artifacts_flow_run_id ON artifacts (flow_run_id, created)
"""

# A state proposal's transition id is remembered with the state it wrote, so a
# replay finds it; the partial unique index costs nothing for the engine's
# buffered states (they carry none). Flow runs are listed by time range on their
# start time, or their creation time while they have not started.
_V4 = """
ALTER TABLE states ADD COLUMN transition_id TEXT;
CREATE UNIQUE INDEX ux_states_transition_id ON states (run_id, transition_id)
    WHERE transition_id IS NOT NULL;
CREATE INDEX ix_flow_runs_start ON flow_runs ((COALESCE(start_time, created)))
"""


def _split(template: str, **types: str) -> tuple[str, ...]:
    text = template.format(**types)
    return tuple(stmt.strip() for stmt in text.split(";") if stmt.strip())


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema: flows, runs, states, logs, concurrency",
        sqlite=_split(_V1, real="REAL", rowseq="", seq_pk="INTEGER PRIMARY KEY"),
        postgresql=_split(
            _V1,
            real="DOUBLE PRECISION",
            rowseq="seq BIGSERIAL NOT NULL,",
            seq_pk="BIGSERIAL PRIMARY KEY",
        ),
    ),
    Migration(
        2,
        "block documents (encrypted data, unique per type and name)",
        sqlite=_split(_V2, real="REAL"),
        postgresql=_split(_V2, real="DOUBLE PRECISION"),
    ),
    Migration(
        3,
        "variables and artifacts (versioned per key)",
        sqlite=_split(_V3, real="REAL"),
        postgresql=_split(_V3, real="DOUBLE PRECISION"),
    ),
    Migration(
        4,
        "state transition ids (unique per run) and the flow-run start-time index",
        sqlite=_split(_V4),
        postgresql=_split(_V4),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
